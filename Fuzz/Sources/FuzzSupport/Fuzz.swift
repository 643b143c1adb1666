/// SwiftPM links an executable target's `<Target>_main` as `main`, so each target defines that
/// and hands libFuzzer its callback through LLVMFuzzerRunDriver (libFuzzer's embedding API).
public enum Fuzz {
    public typealias Body = ([UInt8]) -> Void
    nonisolated(unsafe) static var body: Body = { _ in }

    public static func run(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>, _ f: @escaping Body) -> CInt {
        body = f
        var argc = argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
        return LLVMFuzzerRunDriver(&argc, &argv, fuzzOne)
    }
}

/// libFuzzer's archive references this symbol even when the driver is given the callback.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    Fuzz.body(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt
