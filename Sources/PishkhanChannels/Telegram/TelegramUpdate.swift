import Foundation

/// The parts of a Bot API `Update` (https://core.telegram.org/bots/api#update) Pishkhan reads. Every other
/// field, and every other kind of update, is decoded as absent.
public struct TelegramUpdate: Decodable, Sendable, Equatable {
    public var updateID: Int64
    public var message: Message?
    public var editedMessage: Message?

    enum CodingKeys: String, CodingKey {
        case updateID = "update_id", message, editedMessage = "edited_message"
    }

    public struct Message: Decodable, Sendable, Equatable {
        public var messageID: Int64
        public var date: Int64
        public var chat: Chat
        public var from: User?
        public var editDate: Int64?
        public var text: String?
        public var caption: String?
        public var photo: [PhotoSize]?
        public var document: Document?
        public var video: File?
        public var audio: File?
        public var voice: File?
        public var contact: Contact?

        enum CodingKeys: String, CodingKey {
            case messageID = "message_id", date, chat, from, editDate = "edit_date", text, caption, photo, document, video, audio, voice, contact
        }
    }

    public struct Chat: Decodable, Sendable, Equatable {
        public var id: Int64
        /// private, group, supergroup or channel.
        public var type: String
    }

    public struct User: Decodable, Sendable, Equatable {
        public var id: Int64
        public var isBot: Bool
        public var firstName: String
        public var lastName: String?
        public var username: String?

        enum CodingKeys: String, CodingKey {
            case id, isBot = "is_bot", firstName = "first_name", lastName = "last_name", username
        }

        public var displayName: String {
            [firstName, lastName ?? ""].map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: " ")
        }
    }

    public struct PhotoSize: Decodable, Sendable, Equatable {
        public var fileID: String
        public var width: Int?
        public var height: Int?

        enum CodingKeys: String, CodingKey { case fileID = "file_id", width, height }
    }

    public struct Document: Decodable, Sendable, Equatable {
        public var fileID: String
        public var fileName: String?
        public var mimeType: String?

        enum CodingKeys: String, CodingKey { case fileID = "file_id", fileName = "file_name", mimeType = "mime_type" }
    }

    /// Video, audio or voice: the id and type are all we note.
    public struct File: Decodable, Sendable, Equatable {
        public var fileID: String
        public var mimeType: String?

        enum CodingKeys: String, CodingKey { case fileID = "file_id", mimeType = "mime_type" }
    }

    /// A shared contact; when `userID` is the sender's own id, the sender shared their own phone number.
    public struct Contact: Decodable, Sendable, Equatable {
        public var phoneNumber: String
        public var firstName: String?
        public var userID: Int64?

        enum CodingKeys: String, CodingKey { case phoneNumber = "phone_number", firstName = "first_name", userID = "user_id" }
    }
}
