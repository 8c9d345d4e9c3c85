/// Why a message looks machine-generated, so a helpdesk can avoid auto-replying to it (RFC 3834 §2).
/// Checked in the order of the cases; the first match wins.
public enum AutomationReason: Sendable, Hashable {
    /// multipart/report (RFC 6522) or a message/delivery-status part: DSN (RFC 3464), MDN, feedback report.
    /// The associated value is the report type, e.g. `delivery-status`.
    case deliveryReport(type: String)
    /// From (or Sender) is MAILER-DAEMON or postmaster.
    case mailerDaemon(address: String)
    /// `Return-Path: <>`, the null reverse-path used by bounces and auto-responders (RFC 3834 §3.3).
    case nullReturnPath
    /// RFC 3834 Auto-Submitted with a value other than `no` (`auto-replied`, `auto-generated`, ...).
    case autoSubmitted(value: String)
    /// A vendor auto-reply header is present: X-Autoreply, X-Autorespond, X-Auto-Response-Suppress, ...
    case autoReplyHeader(name: String)
    /// Precedence: bulk, junk, list (or auto_reply).
    case precedence(value: String)
    /// List-Id or List-Unsubscribe present (RFC 2919 / RFC 2369): mailing list or newsletter traffic.
    /// Kept separate so an adapter can still accept human mail relayed through a list (e.g. a Google Group alias).
    case mailingList(header: String)
}
