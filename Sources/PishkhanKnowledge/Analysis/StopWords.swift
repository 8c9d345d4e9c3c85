/// Words too common to help ranking, in their normalized (`TextNormalizer`) form. Removed before
/// stemming; English ones only from English text, so a model name such as "Galaxy A" survives in Persian.
enum StopWords {
    static let english: Set<String> = [
        "a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "at", "by", "for", "from", "with", "into",
        "about", "as", "is", "are", "was", "were", "be", "been", "being", "am", "it", "its", "this", "that",
        "these", "those", "there", "then", "than", "so", "if", "do", "does", "did", "i", "me", "my", "we",
        "our", "you", "your", "he", "she", "they", "them", "their", "his", "her", "what", "which", "who",
        "will", "would", "can", "could", "should", "may", "might", "must", "has", "have", "had", "not", "no",
        "yes", "all", "any", "some", "such", "only", "own", "same", "too", "very", "just", "also", "up", "out",
    ]

    static let persian: Set<String> = [
        "و", "در", "به", "از", "که", "را", "با", "این", "ان", "برای", "یا", "تا", "هم", "اما", "اگر", "یک",
        "است", "هست", "بود", "شود", "شد", "باشد", "نیز", "چه", "چون", "پس", "بر", "همین", "همان", "هر",
        "ما", "شما", "من", "تو", "او", "انها", "ایشان", "خود", "ی", "دیگر", "نه", "بی", "ولی", "زیرا", "کنید",
        "کند", "کرد", "کنیم", "شده", "دارد", "می", "نمی",
    ]
}
