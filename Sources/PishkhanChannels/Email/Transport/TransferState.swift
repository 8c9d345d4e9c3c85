/// Per-request state reached from libcurl's C callbacks through an `Unmanaged` user-data pointer.
///
/// Only the handle's serial queue touches it, during one `curl_easy_perform`.
final class TransferState {
    /// How many server lines are kept for error reports; older ones are dropped.
    static let serverLineLimit = 32

    var body: [UInt8] = []
    var serverLines: [String] = []
    let upload: [UInt8]
    var uploadOffset = 0
    let cancellation: CancellationFlag

    init(upload: [UInt8], cancellation: CancellationFlag) {
        self.upload = upload
        self.cancellation = cancellation
    }

    func appendServerLine(_ bytes: UnsafeRawBufferPointer) {
        var line = String(decoding: bytes, as: UTF8.self)
        while line.hasSuffix("\n") || line.hasSuffix("\r") { line.removeLast() }
        if serverLines.count == Self.serverLineLimit { serverLines.removeFirst() }
        serverLines.append(line)
    }

    /// Copies the next chunk of the upload into curl's buffer; returns the byte count, 0 at the end.
    func readUpload(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let count = min(buffer.count, upload.count - uploadOffset)
        guard count > 0 else { return 0 }
        upload.withUnsafeBytes { source in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[uploadOffset..<uploadOffset + count]))
        }
        uploadOffset += count
        return count
    }
}
