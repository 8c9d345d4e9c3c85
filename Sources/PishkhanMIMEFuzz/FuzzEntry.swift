import PishkhanChannels
#if canImport(Glibc)
import Glibc
#endif

// libFuzzer harness. SwiftPM links executables with `--defsym main=<module>_main`, so libFuzzer's own
// `main` is never used; instead, when built with `-Xswiftc -DMIME_LIBFUZZER` (plus `-sanitize=fuzzer`),
// our entry point hands control to libFuzzer through `LLVMFuzzerRunDriver`. The plain build replays
// the files given on the command line, which reproduces a crash without sanitizers.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    MIMEFuzz.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

#if MIME_LIBFUZZER
@_silgen_name("LLVMFuzzerRunDriver")
func llvmFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32
#endif

@main
struct FuzzMain {
    static func main() {
        #if MIME_LIBFUZZER
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(llvmFuzzerRunDriver(&argc, &argv, { data, size in fuzzTestOneInput(data, size) }))
        #else
        for path in CommandLine.arguments.dropFirst() {
            guard let file = fopen(path, "rb") else { continue }
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = fread(&buffer, 1, buffer.count, file)
                if n <= 0 { break }
                bytes += buffer[0..<n]
            }
            fclose(file)
            bytes.withUnsafeBytes { MIMEFuzz.run($0) }
            print("ok \(path) (\(bytes.count) bytes)")
        }
        #endif
    }
}
