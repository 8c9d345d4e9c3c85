import CNCurses
import Foundation

/// `pishkhan tui`: the queue, a ticket's conversation and a reply editor, drawn with ncursesw. A client of
/// the REST API only; it follows the event feed (`GET /api/v1/events`) and reloads what changed, keeping
/// the cursor on its ticket. All curses calls happen on the task that runs `run()`.
public final class TerminalApp {
    enum Screen: Equatable {
        case queue
        case ticket(Int64)
        case editor(ticket: Int64, note: Bool)
        case help
    }

    let api: APIClient
    let bidi: BidiMode
    var screen: Screen = .queue
    var previous: Screen = .queue
    var tickets: [QueueTicket] = []
    var cursor = QueueCursor()
    var detail: TicketDetail?
    var scroll = 0
    var editor: [[Character]] = [[]]
    var status = ""
    var banner: String?
    var search: String?
    var searching = false
    var lastSeq: Int64?
    var lastPoll = ContinuousClock.now
    var running = true
    var dirty = true

    public init(api: APIClient, bidi: BidiMode = .reorder) {
        self.api = api
        self.bidi = bidi
    }

    // MARK: Colours

    enum Colour: Int16 {
        case onTime = 1, warning, breached, paused, note, banner, title
    }

    static func colour(for state: SLACountdown.State) -> Colour? {
        switch state {
        case .onTime: .onTime
        case .warning: .warning
        case .breached: .breached
        case .paused: .paused
        case .none: nil
        }
    }

    // MARK: Run loop

    public func run() async throws {
        setlocale(LC_ALL, "")
        // Wide characters need a UTF-8 locale; a bare environment (LANG unset) gets C.UTF-8.
        if String(cString: nl_langinfo(nl_item(CODESET))) != "UTF-8" { setlocale(LC_CTYPE, "C.UTF-8") }
        initscr()
        defer { endwin() }
        cbreak()
        noecho()
        keypad(pk_stdscr(), true)
        curs_set(0)
        timeout(100)
        if has_colors() {
            start_color()
            use_default_colors()
            init_pair(Colour.onTime.rawValue, Int16(COLOR_GREEN), -1)
            init_pair(Colour.warning.rawValue, Int16(COLOR_YELLOW), -1)
            init_pair(Colour.breached.rawValue, Int16(COLOR_RED), -1)
            init_pair(Colour.paused.rawValue, Int16(COLOR_CYAN), -1)
            init_pair(Colour.note.rawValue, Int16(COLOR_MAGENTA), -1)
            init_pair(Colour.banner.rawValue, Int16(COLOR_WHITE), Int16(COLOR_RED))
            init_pair(Colour.title.rawValue, Int16(COLOR_BLACK), Int16(COLOR_CYAN))
        }
        await refresh()
        while running {
            if dirty {
                draw()
                dirty = false
            }
            var ch: wint_t = 0
            let result = get_wch(&ch)
            if result != pk_err() {
                await handle(Int32(bitPattern: ch), function: result == pk_key_code_yes())
                dirty = true
            }
            if ContinuousClock.now - lastPoll >= .seconds(1) {
                lastPoll = ContinuousClock.now
                await poll()
            }
        }
    }

    /// Reloads what the current screen shows.
    func refresh() async {
        do {
            if lastSeq == nil { lastSeq = try await api.get("/api/v1/events?after=now", as: EventPage.self).lastSeq }
            let page = try await api.get("/api/v1/tickets?status=new,open,pending&sort=due&limit=200", as: TicketPage.self)
            tickets = QueueOrder.urgency.sorted(page.items, now: Date())
            cursor.follow(visibleTickets)
            if case .ticket(let id) = screen { detail = try await api.get("/api/v1/tickets/\(id)", as: TicketDetail.self) }
            if case .editor(let id, _) = screen, detail?.ticket.id != id {
                detail = try await api.get("/api/v1/tickets/\(id)", as: TicketDetail.self)
            }
            banner = nil
        } catch {
            banner = "Connection lost: \(error). Retrying…"
        }
        dirty = true
    }

    /// New events since the last look: reload once for all of them.
    func poll() async {
        do {
            let page = try await api.get("/api/v1/events?after=\(lastSeq ?? 0)&limit=1000", as: EventPage.self)
            if banner != nil || !page.events.isEmpty {
                lastSeq = page.lastSeq
                await refresh()
            }
        } catch {
            if banner == nil { dirty = true }
            banner = "Connection lost: \(error). Retrying…"
        }
    }

    var visibleTickets: [QueueTicket] {
        guard let search, !search.isEmpty else { return tickets }
        let needle = search.lowercased()
        return tickets.filter {
            $0.subject.lowercased().contains(needle) || ($0.customerName ?? "").lowercased().contains(needle) || "#\($0.number)".contains(needle)
        }
    }

    // MARK: Keys

    static let keyEnter: Int32 = 10
    static let keyEscape: Int32 = 27
    static let keyCtrlD: Int32 = 4
    static let keyBackspace: Int32 = 127

    func handle(_ key: Int32, function: Bool) async {
        if function && key == KEY_RESIZE { return }
        if searching { return editSearch(key, function: function) }
        switch screen {
        case .queue: await queueKey(key, function: function)
        case .ticket(let id): await ticketKey(key, function: function, id: id)
        case .editor(let id, let note): await editorKey(key, function: function, id: id, note: note)
        case .help: screen = previous
        }
    }

    func character(_ key: Int32) -> Character? {
        guard let scalar = Unicode.Scalar(UInt32(bitPattern: key)) else { return nil }
        return Character(scalar)
    }

    func queueKey(_ key: Int32, function: Bool) async {
        let rows = visibleTickets
        if function {
            switch key {
            case KEY_DOWN: cursor.move(by: 1, in: rows)
            case KEY_UP: cursor.move(by: -1, in: rows)
            case KEY_NPAGE: cursor.move(by: max(1, Int(pk_lines()) - 4), in: rows)
            case KEY_PPAGE: cursor.move(by: -max(1, Int(pk_lines()) - 4), in: rows)
            case KEY_ENTER: await open(rows)
            default: break
            }
            return
        }
        switch character(key) {
        case "j": cursor.move(by: 1, in: rows)
        case "k": cursor.move(by: -1, in: rows)
        case "\n", "\r": await open(rows)
        case "/":
            searching = true
            search = ""
        case "?":
            previous = screen
            screen = .help
        case "q": running = false
        default: break
        }
    }

    func open(_ rows: [QueueTicket]) async {
        guard rows.indices.contains(cursor.index) else { return }
        screen = .ticket(rows[cursor.index].id)
        scroll = 0
        detail = nil
        await refresh()
    }

    func editSearch(_ key: Int32, function: Bool) {
        if function && key == KEY_BACKSPACE || key == Self.keyBackspace {
            if search?.isEmpty == false { search?.removeLast() }
        } else if key == Self.keyEnter {
            searching = false
        } else if key == Self.keyEscape {
            searching = false
            search = nil
        } else if !function, let c = character(key), !c.isNewline {
            search = (search ?? "") + String(c)
        }
        cursor.follow(visibleTickets)
    }

    func ticketKey(_ key: Int32, function: Bool, id: Int64) async {
        if function {
            if key == KEY_DOWN { scroll += 1 }
            if key == KEY_UP { scroll = max(0, scroll - 1) }
            return
        }
        switch character(key) {
        case "q":
            screen = .queue
            detail = nil
            await refresh()
        case "j": scroll += 1
        case "k": scroll = max(0, scroll - 1)
        case "r", "n":
            editor = [[]]
            screen = .editor(ticket: id, note: character(key) == "n")
        case "s":
            // Cycles open → pending → resolved.
            guard let current = detail?.ticket.status else { return }
            let next = ["new": "open", "open": "pending", "pending": "resolved", "resolved": "open"][current] ?? "open"
            do {
                _ = try await api.send(.PATCH, "/api/v1/tickets/\(id)", body: try JSONSerialization.data(withJSONObject: ["status": next]))
                status = "Status is now \(next)."
            } catch {
                status = "Not changed: \(error)"
            }
            await refresh()
        case "?":
            previous = screen
            screen = .help
        default: break
        }
    }

    func editorKey(_ key: Int32, function: Bool, id: Int64, note: Bool) async {
        if key == Self.keyEscape {
            screen = .ticket(id)
            status = "Discarded."
            return
        }
        if key == Self.keyCtrlD {
            await send(id: id, note: note)
            return
        }
        if (function && key == KEY_BACKSPACE) || key == Self.keyBackspace || key == 8 {
            if !editor[editor.count - 1].isEmpty {
                editor[editor.count - 1].removeLast()
            } else if editor.count > 1 {
                editor.removeLast()
            }
            return
        }
        if key == Self.keyEnter || key == 13 {
            editor.append([])
            return
        }
        if !function, let c = character(key), !c.isNewline, key >= 32 {
            editor[editor.count - 1].append(c)
        }
    }

    /// Expands `/shortcut` lines through the server (rendered for the ticket's channel), then posts the reply
    /// or note and says what the server did.
    func send(id: Int64, note: Bool) async {
        var text = editor.map { String($0) }.joined(separator: "\n")
        var expansions: [String: String] = [:]
        do {
            for use in Shortcut.uses(in: text) where expansions[use.shortcut] == nil {
                expansions[use.shortcut] = try await api.post("/api/v1/tickets/\(id)/render", json: ["shortcut": use.shortcut], as: Rendered.self).text
            }
            text = Shortcut.expand(text, with: expansions)
            guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                status = "Nothing to send."
                return
            }
            let created = try await api.post("/api/v1/tickets/\(id)/\(note ? "notes" : "replies")", json: ["text": text], as: Created.self)
            status = note ? "Note \(created.id) added." : "Reply \(created.id) queued for delivery."
            screen = .ticket(id)
            await refresh()
        } catch {
            status = "Not sent: \(error)"
        }
    }

    // MARK: Drawing

    func put(_ row: Int, _ column: Int, _ text: String, width: Int, colour: Colour? = nil, attributes: Int32 = 0) {
        guard row >= 0, row < Int(pk_lines()), width > 0 else { return }
        // Cut in reading order first, then reorder: a cut after reordering would drop a Persian line's start.
        let logical = DisplayWidth.truncate(text.replacingOccurrences(of: "\t", with: " "), to: width)
        let visual = DisplayWidth.fit(BidiLine.visual(logical, mode: bidi), to: width)
        var wide = visual.unicodeScalars.map { wchar_t(bitPattern: $0.value) }
        wide.append(0)
        _ = pk_attrset(attributes | (colour.map { pk_color_pair(Int32($0.rawValue)) } ?? 0))
        _ = mvaddnwstr(Int32(row), Int32(column), wide, Int32(wide.count - 1))
        _ = pk_attrset(0)
    }

    func draw() {
        erase()
        let width = Int(pk_cols()), height = Int(pk_lines())
        switch screen {
        case .queue: drawQueue(width: width, height: height)
        case .ticket: drawTicket(width: width, height: height)
        case .editor(_, let note): drawEditor(width: width, height: height, note: note)
        case .help: drawHelp(width: width)
        }
        if let banner { put(0, 0, banner, width: width, colour: .banner, attributes: pk_a_bold()) }
        put(height - 1, 0, searching ? "Search: \(search ?? "")" : status, width: width, attributes: pk_a_dim())
        refresh_screen()
    }

    func refresh_screen() { _ = CNCurses.refresh() }

    func drawQueue(width: Int, height: Int) {
        let rows = visibleTickets
        let filter = search.map { $0.isEmpty ? "" : " · search “\($0)”" } ?? ""
        put(0, 0, " Pishkhan · queue · \(rows.count) open · by SLA urgency\(filter) · ? help", width: width, colour: .title)
        let columns = [("#", 7), ("SLA", 9), ("Prio", 7), ("Channel", 10), ("Customer", 18), ("Assignee", 9)]
        let subjectWidth = max(10, width - columns.reduce(0) { $0 + $1.1 } - 1)
        var x = 0
        for (title, w) in columns.prefix(5) {
            put(1, x, title, width: w, attributes: pk_a_bold())
            x += w
        }
        put(1, x, "Subject", width: subjectWidth, attributes: pk_a_bold())
        put(1, x + subjectWidth, "Assignee", width: 9, attributes: pk_a_bold())
        let visible = max(1, height - 3)
        let first = max(0, cursor.index - visible + 1)
        let now = Date()
        for (offset, ticket) in rows.dropFirst(first).prefix(visible).enumerated() {
            let row = offset + 2
            let selected = first + offset == cursor.index
            let attributes = selected ? pk_a_reverse() : 0
            let countdown = SLACountdown(dueAt: ticket.dueAt, status: ticket.status, now: now)
            var x = 0
            put(row, x, "#\(ticket.number)", width: 7, attributes: attributes); x += 7
            put(row, x, countdown.text, width: 9, colour: Self.colour(for: countdown.state), attributes: attributes); x += 9
            put(row, x, ticket.priority, width: 7, colour: ticket.priority == "urgent" ? .breached : nil, attributes: attributes); x += 7
            put(row, x, ticket.channel, width: 10, attributes: attributes); x += 10
            put(row, x, ticket.customerName ?? "—", width: 18, attributes: attributes); x += 18
            put(row, x, ticket.subject, width: subjectWidth, attributes: attributes); x += subjectWidth
            put(row, x, ticket.assigneeID.map { "agent \($0)" } ?? "—", width: 9, attributes: attributes)
        }
        if rows.isEmpty { put(3, 2, search == nil ? "No open tickets." : "Nothing matches.", width: width - 2) }
    }

    func drawTicket(width: Int, height: Int) {
        guard let detail else {
            put(0, 0, " Loading…", width: width, colour: .title)
            return
        }
        let t = detail.ticket
        let countdown = SLACountdown(dueAt: t.dueAt, status: t.status, now: Date())
        put(0, 0, " #\(t.number) · \(t.status) · \(t.priority) · \(t.channel) · \(t.customerName ?? "—") · SLA \(countdown.text)", width: width, colour: .title)
        put(1, 0, t.subject, width: width, attributes: pk_a_bold())
        var lines: [(String, Colour?, Int32)] = []
        let time = DateFormatter()
        time.dateFormat = "yyyy-MM-dd HH:mm"
        for message in detail.messages {
            let who = switch message.kind {
            case "inbound": "customer"
            case "outbound": "agent"
            case "bot": "bot"
            default: "note (internal)"
            }
            let delivery = message.deliveryStatus.map { " · \($0)" } ?? ""
            lines.append(("── \(time.string(from: message.createdAt)) · \(who) · \(message.channel)\(delivery)", message.kind == "note" ? .note : nil, pk_a_dim()))
            for paragraph in (message.text ?? "").split(separator: "\n", omittingEmptySubsequences: false) {
                // Persian paragraphs sit against the right edge, as they are read.
                let rightToLeft = BidiLine.isRightToLeftParagraph(String(paragraph))
                for line in DisplayWidth.wrap(String(paragraph), to: max(1, width - 4)) {
                    let pad = rightToLeft ? max(0, width - 2 - DisplayWidth.of(line)) : 2
                    lines.append((String(repeating: " ", count: pad) + (rightToLeft ? BidiLine.isolate(line) : line), message.kind == "note" ? .note : nil, 0))
                }
            }
        }
        let area = max(1, height - 4)
        scroll = min(scroll, max(0, lines.count - area))
        for (i, line) in lines.dropFirst(scroll).prefix(area).enumerated() {
            put(i + 2, 0, line.0, width: width, colour: line.1, attributes: line.2)
        }
        put(height - 2, 0, "r reply · n note · s status · j/k scroll · q back · ? help", width: width, attributes: pk_a_dim())
    }

    func drawEditor(width: Int, height: Int, note: Bool) {
        put(0, 0, note ? " Internal note (Ctrl-D add, Esc discard)" : " Reply to the customer (Ctrl-D send, Esc discard; /shortcut on a line inserts a canned response)",
            width: width, colour: note ? .note : .title)
        if let subject = detail?.ticket.subject { put(1, 0, subject, width: width, attributes: pk_a_bold()) }
        for (i, line) in editor.suffix(max(1, height - 4)).enumerated() {
            put(i + 2, 0, String(line), width: width)
        }
    }

    func drawHelp(width: Int) {
        let keys = [
            "Queue:  j/k or ↓/↑ move · Enter open · / search (Enter keeps, Esc clears) · q quit",
            "Ticket: r reply · n internal note · s status (open → pending → resolved) · j/k scroll · q back",
            "Editor: type; Enter new line; a line \"/refund-72h\" becomes that canned response; Ctrl-D send; Esc discard",
            "SLA:    green on time · yellow due within an hour · red breached · cyan paused (waiting for the customer)",
            "Any key returns.",
        ]
        put(0, 0, " Pishkhan · keys", width: width, colour: .title)
        for (i, line) in keys.enumerated() { put(i + 2, 1, line, width: width - 1) }
    }
}
