/// Raw RFC 5322 test messages with CRLF line ends (RFC 5322 §2.1) and 8-bit body bytes.
public enum TestMessage {
    /// A message whose subject and body carry `index`; the body includes UTF-8 Persian text, a raw 0xFF-free
    /// 8-bit line and a line starting with a dot (to exercise SMTP dot-stuffing).
    public static func make(_ index: Int, from sender: String = "customer@example.com", to recipient: String = "help@example.com") -> [UInt8] {
        var text = ""
        text += "From: Customer <\(sender)>\r\n"
        text += "To: Help <\(recipient)>\r\n"
        text += "Subject: Test message \(index)\r\n"
        text += "Message-ID: <test-\(index)@curlmail.test>\r\n"
        text += "MIME-Version: 1.0\r\n"
        text += "Content-Type: text/plain; charset=utf-8\r\n"
        text += "Content-Transfer-Encoding: 8bit\r\n"
        text += "\r\n"
        text += "سلام، پیام شماره \(index)\r\n"
        text += ".a line that starts with a dot\r\n"
        text += "\tTabbed line with trailing space \r\n"
        text += "Bye.\r\n"
        return Array(text.utf8)
    }
}
