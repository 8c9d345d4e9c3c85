import CNCurses
import Foundation

/// `pishkhan tui`: the queue, a ticket's conversation with the customer 360 panel and suggestions, the
/// actions an agent takes on it, and a reply editor, drawn with ncursesw. A client of the REST API and the
/// `/ws/events` stream only: an event makes it reload what the screen shows, keeping the cursor on its
/// ticket. All curses calls happen on the task that runs `run()`.
public final class TerminalApp {
    enum Screen: Equatable {
        case queue
        case ticket(Int64)
        case editor(ticket: Int64, note: Bool)
        case board
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
    var running = true
    var dirty = true
    var filter = QueueFilter.all
    var me: AgentInfo?
    var agents: [Int64: AgentInfo] = [:]
    var profile: CustomerView?
    var suggestions: SuggestionsView?
    /// The customer panel: beside the conversation on wide terminals, instead of it on narrow ones.
    var sidePanel = true
    var panelOnly = false
    var prompt: Prompt?
    var feed: EventFeed?
    var lastRefresh = ContinuousClock.now
    var pendingRefresh = false
    var restError: String?
    var board: Board?

    /// The supervisor's board: what breached, what is about to, who carries what, and today's SLA.
    struct Board {
        var atRisk: [AtRiskView.Item]
        var workload: [WorkloadView.Row]
        var today: SummaryView?
    }

    /// A one-line question at the bottom of the ticket view.
    struct Prompt {
        enum Kind { case assign, tags, merge, confirmMerge(into: Int64, number: Int64) }
        var kind: Kind
        var label: String
        var text: String
    }

    /// Queue pages loaded (200 tickets each, most urgent first); more load as the cursor nears the end.
    var pagesWanted = 1
    var moreTickets = false
    /// Timings for `pishkhan-bench tui`, written as lines to this file when set.
    let trace: FileHandle?
    var firstScreenTraced = false

    public init(api: APIClient, bidi: BidiMode = .reorder, traceFile: String? = nil) {
        self.api = api
        self.bidi = bidi
        trace = traceFile.flatMap { path in
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            return FileHandle(forWritingAtPath: path)
        }
    }

    func traceLine(_ line: String) {
        trace?.write(Data((line + "\n").utf8))
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
        put(0, 0, " Pishkhan · connecting to \(api.server)…", width: Int(pk_cols()), colour: .title)
        refresh_screen()
        await start()
        let feedTask = feed.map { feed in Task { await feed.run() } }
        defer { feedTask?.cancel() }
        while running {
            if dirty {
                draw()
                dirty = false
                if !firstScreenTraced, !tickets.isEmpty, trace != nil {
                    firstScreenTraced = true
                    traceLine("first-screen \(Date().timeIntervalSince1970)")
                }
            }
            var ch: wint_t = 0
            let result = get_wch(&ch)
            if result != pk_err() {
                let pressed = ContinuousClock.now
                await handle(Int32(bitPattern: ch), function: result == pk_key_code_yes())
                draw()
                dirty = false
                if trace != nil { traceLine("key \((ContinuousClock.now - pressed).milliseconds)") }
            }
            await follow()
        }
    }

    /// Who the agent is, the team's names, where the event stream stands; then the first screen.
    func start() async {
        do {
            me = try await api.get("/api/v1/agents/me", as: AgentInfo.self)
            agents = Dictionary(uniqueKeysWithValues: try await api.get("/api/v1/agents", as: AgentList.self).agents.map { ($0.id, $0) })
            lastSeq = try await api.get("/api/v1/events?after=now", as: EventPage.self).lastSeq
        } catch {
            restError = "\(error)"
        }
        feed = EventFeed(server: api.server, token: api.token, after: lastSeq ?? 0)
        await refresh()
    }

    /// Live updates: after events (at most a few reloads a second), or every second while the API is
    /// unreachable; the banner says when either the API or the event stream is lost.
    func follow() async {
        if let feed, feed.takeChanged() {
            pendingRefresh = true
            let snapshot = feed.snapshot
            lastSeq = snapshot.lastSeq
            dirty = true
        }
        let since = ContinuousClock.now - lastRefresh
        if (pendingRefresh && since >= .milliseconds(250)) || (restError != nil && since >= .seconds(1)) {
            pendingRefresh = false
            await refresh()
        }
        updateBanner()
    }

    func updateBanner() {
        let streamLost = feed.map { !$0.snapshot.connected && $0.snapshot.lastError != nil } ?? false
        let text = restError.map { "Connection lost: \($0). Retrying…" } ?? (streamLost ? "Live updates lost; reconnecting to the event stream…" : nil)
        if text != banner {
            banner = text
            dirty = true
        }
    }

    /// Reloads what the current screen shows.
    func refresh() async {
        lastRefresh = ContinuousClock.now
        do {
            try await loadQueue()
            if case .ticket(let id) = screen { try await loadTicket(id, withPanel: detail?.ticket.id != id || profile == nil) }
            if case .editor(let id, _) = screen, detail?.ticket.id != id { try await loadTicket(id, withPanel: true) }
            if screen == .board { try await loadBoard() }
            restError = nil
        } catch {
            restError = "\(error)"
        }
        updateBanner()
        dirty = true
    }

    /// The first `pagesWanted` pages of the queue, filtered by the server where it can ("mine", "unassigned").
    func loadQueue() async throws {
        var path = "/api/v1/tickets?status=new,open,pending&sort=due&limit=200"
        if filter == .mine { path += "&assignee=me" }
        if filter == .unassigned { path += "&assignee=none" }
        var loaded: [QueueTicket] = []
        var next: String?
        for page in 0..<pagesWanted {
            var url = path
            if page > 0 {
                guard let cursor = next?.addingPercentEncoding(withAllowedCharacters: .alphanumerics) else { break }
                url += "&cursor=" + cursor
            }
            let result = try await api.get(url, as: TicketPage.self)
            loaded += result.items
            next = result.nextCursor
            if next == nil { break }
        }
        tickets = QueueOrder.urgency.sorted(loaded, now: Date())
        moreTickets = next != nil
        cursor.follow(visibleTickets)
    }

    /// Near the end of what is loaded: the next page.
    func loadMoreIfNeeded() async {
        guard moreTickets, cursor.index >= visibleTickets.count - 20 else { return }
        pagesWanted += 1
        await refresh()
    }

    func loadBoard() async throws {
        let midnight = ISO8601DateFormatter().string(from: Calendar.current.startOfDay(for: Date()))
        board = Board(
            atRisk: try await api.get("/api/v1/sla/at-risk?within=1h&limit=50", as: AtRiskView.self).tickets,
            workload: try await api.get("/api/v1/agents/workload", as: WorkloadView.self).workload,
            today: try? await api.get("/api/v1/sla/summary?from=\(midnight)", as: SummaryView.self))
    }

    func loadTicket(_ id: Int64, withPanel: Bool) async throws {
        let loaded = try await api.get("/api/v1/tickets/\(id)", as: TicketDetail.self)
        detail = loaded
        if withPanel || profile?.customer.id != loaded.ticket.customerID {
            if let customer = loaded.ticket.customerID {
                profile = try await api.get("/api/v1/customers/\(customer)?timelineLimit=8", as: CustomerView.self)
            }
            suggestions = try? await api.get("/api/v1/tickets/\(id)/suggestions", as: SuggestionsView.self)
        }
    }

    var visibleTickets: [QueueTicket] {
        let filtered = filter.apply(tickets, me: me?.id, now: Date())
        guard let search, !search.isEmpty else { return filtered }
        return filtered.filter { QueueSearch.matches($0, search, assignee: $0.assigneeID.flatMap { agents[$0]?.name }) }
    }

    func agentName(_ id: Int64?) -> String {
        guard let id else { return "—" }
        return agents[id]?.name ?? "agent \(id)"
    }

    // MARK: Keys

    static let keyEnter: Int32 = 10
    static let keyEscape: Int32 = 27
    static let keyCtrlD: Int32 = 4
    static let keyBackspace: Int32 = 127

    func handle(_ key: Int32, function: Bool) async {
        if function && key == KEY_RESIZE { return }
        if searching { return editSearch(key, function: function) }
        if prompt != nil { return await promptKey(key, function: function) }
        switch screen {
        case .queue: await queueKey(key, function: function)
        case .ticket(let id): await ticketKey(key, function: function, id: id)
        case .editor(let id, let note): await editorKey(key, function: function, id: id, note: note)
        case .board:
            if character(key) == "q" || character(key) == "b" { screen = .queue; board = nil; await refresh() }
            if character(key) == "?" { previous = screen; screen = .help }
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
            case KEY_DOWN:
                cursor.move(by: 1, in: rows)
                await loadMoreIfNeeded()
            case KEY_UP: cursor.move(by: -1, in: rows)
            case KEY_NPAGE:
                cursor.move(by: max(1, Int(pk_lines()) - 4), in: rows)
                await loadMoreIfNeeded()
            case KEY_PPAGE: cursor.move(by: -max(1, Int(pk_lines()) - 4), in: rows)
            case KEY_ENTER: await open(rows)
            default: break
            }
            return
        }
        switch character(key) {
        case "j":
            cursor.move(by: 1, in: rows)
            await loadMoreIfNeeded()
        case "k": cursor.move(by: -1, in: rows)
        case "\n", "\r": await open(rows)
        case "/":
            searching = true
            search = ""
        case "f":
            filter = filter.next
            pagesWanted = 1
            await refresh()
        case "b":
            guard me?.role == "supervisor" || me?.role == "admin" else {
                status = "The board is for supervisors."
                return
            }
            screen = .board
            await refresh()
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
        profile = nil
        suggestions = nil
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
            await patch(id, ["status": next]) { "Status is now \($0.status)." }
        case "p":
            guard let current = detail?.ticket.priority else { return }
            await patch(id, ["priority": PriorityCycle.next(after: current)]) { "Priority is now \($0.priority)." }
        case "a":
            prompt = Prompt(kind: .assign, label: "Assign to (me, none, or a name or id): ", text: "me")
        case "t":
            let tags = (detail?.ticket.tags ?? []).joined(separator: ", ")
            prompt = Prompt(kind: .tags, label: "Tags now: \(tags.isEmpty ? "none" : tags) — +add -remove, or a new list: ", text: "")
        case "m":
            prompt = Prompt(kind: .merge, label: "Merge this ticket into ticket number: ", text: "")
        case "c":
            if Int(pk_cols()) >= Self.sidePanelMinimumWidth { sidePanel.toggle() } else { panelOnly.toggle() }
        case "?":
            previous = screen
            screen = .help
        default: break
        }
    }

    /// Changes the ticket and says what the server answered.
    func patch(_ id: Int64, _ change: [String: Any], _ confirmation: (QueueTicket) -> String) async {
        do {
            let updated = try await api.patch("/api/v1/tickets/\(id)", json: change, as: QueueTicket.self)
            status = confirmation(updated)
        } catch {
            status = "Not changed: \(error)"
        }
        await refresh()
    }

    func promptKey(_ key: Int32, function: Bool) async {
        guard var current = prompt, case .ticket(let id) = screen else { prompt = nil; return }
        if key == Self.keyEscape {
            prompt = nil
            status = "Cancelled."
            return
        }
        if case .confirmMerge(let into, let number) = current.kind {
            prompt = nil
            guard character(key) == "y" else { status = "Not merged."; return }
            do {
                _ = try await api.post("/api/v1/tickets/\(id)/merge", json: ["into": into], as: QueueTicket.self)
                status = "Merged into #\(number)."
                screen = .ticket(into)
                profile = nil
            } catch {
                status = "Not merged: \(error)"
            }
            await refresh()
            return
        }
        if (function && key == KEY_BACKSPACE) || key == Self.keyBackspace || key == 8 {
            if !current.text.isEmpty { current.text.removeLast() }
            prompt = current
            return
        }
        guard key == Self.keyEnter || key == 13 else {
            if !function, let c = character(key), !c.isNewline, key >= 32 { current.text.append(c) }
            prompt = current
            return
        }
        prompt = nil
        switch current.kind {
        case .assign:
            switch AssigneeChoice.resolve(current.text, me: me?.id, agents: Array(agents.values)) {
            case .agent(let agent):
                await patch(id, ["assigneeID": agent]) { "Assigned to \(self.agentName($0.assigneeID))." }
            case .nobody:
                await patch(id, ["assigneeID": NSNull()]) { _ in "Unassigned." }
            case .unknown(let text):
                status = "No agent called “\(text)”."
            case .ambiguous(let names):
                status = "Which one: \(names.joined(separator: ", "))?"
            }
        case .tags:
            let tags = TagEdit.apply(current.text, to: detail?.ticket.tags ?? [])
            await patch(id, ["tags": tags]) { "Tags: \(($0.tags ?? []).isEmpty ? "none" : ($0.tags ?? []).joined(separator: ", "))." }
        case .merge:
            let number = Int64(current.text.trimmingCharacters(in: CharacterSet(charactersIn: "# ")))
            guard let number, let target = tickets.first(where: { $0.number == number }), target.id != id else {
                status = "No other open ticket #\(current.text) in the queue."
                return
            }
            prompt = Prompt(kind: .confirmMerge(into: target.id, number: number),
                            label: "Merge #\(detail?.ticket.number ?? 0) into #\(number) “\(target.subject)”? y/n ", text: "")
        case .confirmMerge:
            break
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
        case .board: drawBoard(width: width, height: height)
        case .help: drawHelp(width: width)
        }
        if let banner { put(0, 0, banner, width: width, colour: .banner, attributes: pk_a_bold()) }
        if let prompt {
            put(height - 1, 0, prompt.label + prompt.text + "▏", width: width, attributes: pk_a_bold())
        } else {
            put(height - 1, 0, searching ? "Search: \(search ?? "")" : status, width: width, attributes: pk_a_dim())
        }
        refresh_screen()
    }

    func refresh_screen() { _ = CNCurses.refresh() }

    func drawQueue(width: Int, height: Int) {
        let rows = visibleTickets
        let searched = search.map { $0.isEmpty ? "" : " · search “\($0)”" } ?? ""
        let filtered = filter == .all ? "" : " · \(filter.rawValue)"
        let who = me.map { " · \($0.name)" } ?? ""
        put(0, 0, " Pishkhan · queue · \(rows.count)\(moreTickets ? "+" : "") open · by SLA urgency\(filtered)\(searched)\(who) · f filter · b board · ? help", width: width, colour: .title)
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
            put(row, x, agentName(ticket.assigneeID), width: 9, attributes: attributes)
        }
        if rows.isEmpty { put(3, 2, search == nil && filter == .all ? "No open tickets." : "Nothing matches.", width: width - 2) }
    }

    static let sidePanelMinimumWidth = 110
    static let sidePanelWidth = 42

    func drawTicket(width: Int, height: Int) {
        guard let detail else {
            put(0, 0, " Loading…", width: width, colour: .title)
            return
        }
        let t = detail.ticket
        let countdown = SLACountdown(dueAt: t.dueAt, status: t.status, now: Date())
        let tags = (t.tags ?? []).isEmpty ? "" : " · " + (t.tags ?? []).map { "#" + $0 }.joined(separator: " ")
        put(0, 0, " #\(t.number) · \(t.status) · \(t.priority) · \(t.channel) · \(t.customerName ?? "—") · \(agentName(t.assigneeID)) · SLA \(countdown.text)\(tags)",
            width: width, colour: .title)
        put(1, 0, t.subject, width: width, attributes: pk_a_bold())
        let area = max(1, height - 4)
        let side = width >= Self.sidePanelMinimumWidth && sidePanel
        if !side && panelOnly {
            for (i, line) in panelLines(width: width - 2).prefix(area).enumerated() { put(i + 2, 1, line.0, width: width - 2, colour: line.1, attributes: line.2) }
        } else {
            let conversationWidth = side ? width - Self.sidePanelWidth - 1 : width
            let lines = conversationLines(detail, width: conversationWidth)
            scroll = min(scroll, max(0, lines.count - area))
            for (i, line) in lines.dropFirst(scroll).prefix(area).enumerated() {
                put(i + 2, 0, line.0, width: conversationWidth, colour: line.1, attributes: line.2)
            }
            if side {
                let x = width - Self.sidePanelWidth
                for row in 2..<(2 + area) { put(row, x - 1, "│", width: 1, attributes: pk_a_dim()) }
                for (i, line) in panelLines(width: Self.sidePanelWidth - 1).prefix(area).enumerated() {
                    put(i + 2, x, line.0, width: Self.sidePanelWidth - 1, colour: line.1, attributes: line.2)
                }
            }
        }
        put(height - 2, 0, "r reply · n note · s status · p priority · a assign · t tags · m merge · c customer · j/k scroll · q back · ? help",
            width: width, attributes: pk_a_dim())
    }

    typealias Line = (String, Colour?, Int32)

    func conversationLines(_ detail: TicketDetail, width: Int) -> [Line] {
        var lines: [Line] = []
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
        return lines
    }

    /// The customer 360 panel and the suggestions for the latest customer message.
    func panelLines(width: Int) -> [Line] {
        var lines: [Line] = []
        let bold = pk_a_bold(), dim = pk_a_dim()
        guard let profile else { return [("Customer: loading…", nil, dim)] }
        let c = profile.customer
        lines.append(("\(c.name ?? "Customer") · #\(c.id) · \(c.tier)", nil, bold))
        if !c.tags.isEmpty { lines.append(("tags: " + c.tags.joined(separator: ", "), nil, 0)) }
        for identity in profile.identities.prefix(4) { lines.append(("\(identity.kind): \(identity.value)", nil, 0)) }
        lines.append(("\(profile.openTickets) open · channels: \(profile.channelsUsed.joined(separator: ", "))", nil, dim))
        let others = profile.tickets.filter { $0.id != detail?.ticket.id }
        if !others.isEmpty {
            lines.append(("Other tickets", nil, bold))
            for ticket in others.prefix(4) { lines.append(("#\(ticket.number) \(ticket.status) · \(ticket.subject)", nil, 0)) }
        }
        if !profile.timeline.items.isEmpty {
            lines.append(("Recent", nil, bold))
            let time = DateFormatter()
            time.dateFormat = "MM-dd HH:mm"
            for entry in profile.timeline.items.prefix(5) {
                let what = entry.title ?? entry.text ?? entry.eventType ?? entry.messageKind ?? entry.kind
                lines.append(("\(time.string(from: entry.at)) \(entry.channel ?? "") \(what.replacingOccurrences(of: "\n", with: " "))", nil, dim))
            }
        }
        if let suggestions, !(suggestions.articles.isEmpty && suggestions.cannedResponses.isEmpty) {
            lines.append(("Suggested", nil, bold))
            for hit in suggestions.cannedResponses.prefix(3) { lines.append(("/\(hit.shortcut) · \(hit.title)", .onTime, 0)) }
            for hit in suggestions.articles.prefix(3) { lines.append(("kb \(hit.id) · \(hit.title)", nil, 0)) }
        }
        return lines
    }

    func drawBoard(width: Int, height: Int) {
        put(0, 0, " Pishkhan · supervisor board · live · b or q back · ? help", width: width, colour: .title)
        guard let board else {
            put(2, 1, "Loading…", width: width - 1)
            return
        }
        let now = Date()
        var row = 2
        let breached = tickets.filter { SLACountdown(dueAt: $0.dueAt, status: $0.status, now: now).state == .breached }
        func ticketRow(_ t: QueueTicket) {
            let countdown = SLACountdown(dueAt: t.dueAt, status: t.status, now: now)
            put(row, 1, "#\(t.number)", width: 7)
            put(row, 8, countdown.text, width: 9, colour: Self.colour(for: countdown.state))
            put(row, 17, t.priority, width: 7, colour: t.priority == "urgent" ? .breached : nil)
            put(row, 24, t.channel, width: 10)
            put(row, 34, agentName(t.assigneeID), width: 12)
            put(row, 46, t.subject, width: max(1, width - 47))
            row += 1
        }
        let half = max(3, (height - 12) / 2)
        put(row, 0, "Breached now: \(breached.count)", width: width, colour: .breached, attributes: pk_a_bold()); row += 1
        for t in breached.prefix(half) { ticketRow(t) }
        row += 1
        put(row, 0, "Due within the hour: \(board.atRisk.count)", width: width, colour: .warning, attributes: pk_a_bold()); row += 1
        for item in board.atRisk.prefix(half) { ticketRow(item.ticket) }
        row += 1
        put(row, 0, "Agent          open  pending  breached", width: width, attributes: pk_a_bold()); row += 1
        for load in board.workload where row < height - 4 {
            let name = load.agentID.map { agentName($0) } ?? "unassigned"
            let line = name.padding(toLength: 14, withPad: " ", startingAt: 0)
                + String(format: " %4d  %7d  %8d", load.open, load.pending, load.breached)
            put(row, 0, line, width: width, colour: load.breached > 0 ? .breached : nil)
            row += 1
        }
        if let today = board.today {
            let metrics = ["first-response", "next-response", "resolution"].compactMap { key -> String? in
                guard let m = today.overall.metrics[key] else { return nil }
                return "\(key) \(m.metPercent.map { String(format: "%.0f%%", $0) } ?? "—") met (\(m.breached) breached)"
            }
            put(height - 3, 0, "Today: \(today.overall.tickets) tickets · " + metrics.joined(separator: " · ") + " · \(today.overall.openBreaches) breaches open",
                width: width, attributes: pk_a_bold())
        }
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
            "Queue:  j/k or ↓/↑ move · Enter open · / search: words in number, subject, customer, channel, priority, assignee,",
            "        and channel:sms,telegram priority:urgent (p:high) match exactly; Enter keeps, Esc clears",
            "        f filter: all → mine → unassigned → breached · b supervisor board · q quit",
            "Ticket: r reply · n internal note · s status (open → pending → resolved) · p priority (low → normal → high → urgent)",
            "        a assign (me, none, a name or id) · t tags (+add -remove, or the whole list) · m merge into another ticket",
            "        c customer panel and suggestions · j/k scroll · q back",
            "Editor: type; Enter new line; a line \"/refund-72h\" becomes that canned response; Ctrl-D send; Esc discard",
            "SLA:    green on time · yellow due within an hour · red breached · cyan paused (waiting for the customer)",
            "Board:  b (supervisors) breached and due-within-the-hour tickets, each agent's load, today's SLA · b/q back",
            "Live:   the screen follows the server's event stream; a red banner says when the connection is lost",
            "Any key returns.",
        ]
        put(0, 0, " Pishkhan · keys", width: width, colour: .title)
        for (i, line) in keys.enumerated() { put(i + 2, 1, line, width: width - 1) }
    }
}

extension Duration {
    /// Milliseconds, fractional.
    var milliseconds: Double { Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15 }
}
