import Foundation
import PishkhanCore
import Testing
@testable import PishkhanStore

/// On both backends (see `Backend`).
@Suite(.timeLimit(.minutes(2))) struct KnowledgeStoreTests {
    static func article(_ id: String, title: String = "Tracking your order", body: String = "Open Orders in your account.") -> Article {
        Article(id: id, title: title, locale: .en, tags: ["orders"], keywords: ["where is my order"], summary: "Where to see it.", body: body)
    }

    @Test(arguments: Backend.allCases)
    func filesSeedOnceAndTheAPIWinsAfterwards(_ backend: Backend) async throws {
        try await backend.withStore { store async throws in
            let seeded = try await store.seedKnowledge(articles: [Self.article("a-en"), Self.article("b-en")], canned: [])
            #expect(seeded.articles.inserted == 2)

            // A file edit still applies to an article nobody edited through the API.
            var edited = Self.article("a-en", body: "Open Orders, then Track.")
            var again = try await store.seedKnowledge(articles: [edited, Self.article("b-en")], canned: [])
            #expect(again.articles.updated == 1 && again.articles.unchanged == 1)
            #expect(try await store.article(id: "a-en").item.body == "Open Orders, then Track.")
            #expect(try await store.article(id: "a-en").version == 2)

            // After an API edit and an API delete, the files decide nothing for those two.
            let apiBody = "Edited by the support lead."
            _ = try await store.updateArticle(id: "a-en", Self.article("a-en", body: apiBody), expectedVersion: 2, actor: 1)
            try await store.deleteArticle(id: "b-en", expectedVersion: nil, actor: 1)
            edited.body = "A later file edit."
            again = try await store.seedKnowledge(articles: [edited, Self.article("b-en")], canned: [])
            #expect(again.articles.keptFromAPI == 2)
            #expect(try await store.article(id: "a-en").item.body == apiBody)
            #expect(try await store.article(id: "a-en").origin == .api)
            await #expect(throws: StoreError.notFound("article b-en")) { try await store.article(id: "b-en") }
            #expect(try await store.articles().map(\.item.id) == ["a-en"])
        }
    }

    @Test(arguments: Backend.allCases)
    func versionsTurnConcurrentEditsIntoConflicts(_ backend: Backend) async throws {
        try await backend.withStore { store async throws in
            let created = try await store.createArticle(Self.article("c-en"), actor: 1)
            #expect(created.version == 1 && created.origin == .api)
            _ = try await store.updateArticle(id: "c-en", Self.article("c-en", body: "first"), expectedVersion: 1, actor: 1)
            await #expect(throws: StoreError.self) {
                try await store.updateArticle(id: "c-en", Self.article("c-en", body: "second"), expectedVersion: 1, actor: 2)
            }
            #expect(try await store.article(id: "c-en").item.body == "first")
            await #expect(throws: StoreError.conflict("article c-en already exists")) { try await store.createArticle(Self.article("c-en"), actor: 1) }
            // Deleted, then created again: the tombstone is replaced and the version keeps counting.
            try await store.deleteArticle(id: "c-en", expectedVersion: 2, actor: 1)
            let revived = try await store.createArticle(Self.article("c-en", body: "back"), actor: 1)
            #expect(revived.version == 4 && revived.item.body == "back")
        }
    }

    @Test(arguments: Backend.allCases)
    func invalidItemsNameTheField(_ backend: Backend) async throws {
        try await backend.withStore { store async throws in
            await #expect(throws: StoreError.invalid(ValidationError(field: "id", reason: "must be 1–128 lower-case letters, digits and '-', starting with a letter or digit"))) {
                try await store.createArticle(Self.article("Bad Id"), actor: 1)
            }
            await #expect(throws: StoreError.self) { try await store.createArticle(Self.article("x-en", body: "  "), actor: 1) }
            await #expect(throws: StoreError.self) {
                try await store.updateArticle(id: "x-en", Self.article("y-en"), expectedVersion: nil, actor: 1)
            }
            await #expect(throws: StoreError.self) {
                try await store.createCannedResponse(CannedResponse(shortcut: "no spaces", title: "t", locale: .en, body: "b"), actor: 1)
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func cannedResponsesAreStoredTheSameWay(_ backend: Backend) async throws {
        try await backend.withStore { store async throws in
            let hello = CannedResponse(shortcut: "hello", title: "Greeting", locale: .en, body: "Hello {{customer.name}}")
            let seeded = try await store.seedKnowledge(articles: [], canned: [hello])
            #expect(seeded.canned.inserted == 1)
            #expect(try await store.cannedResponse(shortcut: "hello").item == hello)
            var changed = hello
            changed.body = "Hi {{customer.name}}"
            let updated = try await store.updateCannedResponse(shortcut: "hello", changed, expectedVersion: 1, actor: 1)
            #expect(updated.version == 2 && updated.item.body == "Hi {{customer.name}}")
            try await store.deleteCannedResponse(shortcut: "hello", expectedVersion: nil, actor: 1)
            #expect(try await store.cannedResponses().isEmpty)
            #expect(try await store.auditLog(limit: 10).map(\.action).contains("canned_responses.deleted"))
        }
    }

    /// Several servers starting at once all seed from the same files: each item is inserted once, and the
    /// seeds that lose the race report it as unchanged instead of failing.
    @Test(arguments: Backend.allCases)
    func concurrentSeedsInsertEachItemOnce(_ backend: Backend) async throws {
        try await backend.withStore { store async throws in
            let articles = (0..<30).map { Self.article("a\($0)-en") }
            let canned = [CannedResponse(shortcut: "hello", title: "Greeting", locale: .en, body: "Hello")]
            let reports = try await withThrowingTaskGroup(of: (articles: KnowledgeSeedReport, canned: KnowledgeSeedReport).self) { group in
                for _ in 0..<4 { group.addTask { try await store.seedKnowledge(articles: articles, canned: canned) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(reports.map(\.articles.inserted).reduce(0, +) == 30)
            #expect(reports.map(\.articles.unchanged).reduce(0, +) == 90)
            #expect(reports.map(\.canned.inserted).reduce(0, +) == 1)
            #expect(try await store.articles().count == 30)
            #expect(try await store.articles().allSatisfy { $0.version == 1 })
        }
    }

    @Test func storedItemsEncodeFlat() throws {
        let stored = Stored(item: Self.article("d-en"), version: 3, origin: .file, createdAt: Date(timeIntervalSince1970: 0), updatedAt: Date(timeIntervalSince1970: 0))
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let json = try #require(try JSONSerialization.jsonObject(with: encoder.encode(stored)) as? [String: Any])
        #expect(json["id"] as? String == "d-en" && json["version"] as? Int == 3 && json["origin"] as? String == "file")
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        #expect(try decoder.decode(Stored<Article>.self, from: encoder.encode(stored)) == stored)
    }
}
