import Dispatch

/// The item a worker is running, kept in memory its agent can read while the worker runs and
/// after it died.
///
/// A worker killed by an item (a bad access in the body, an abort, `exit` called by user code)
/// cannot say which item that was, and one stuck in a body cannot say anything. So before it
/// runs each item it writes the item's id into a page it shares with the agent that started it
/// (a memfd the agent maps and hands to the worker as a descriptor): the agent reads the page
/// once the kernel says the worker exited, and samples it meanwhile to see items that run long
/// (and to end those past the stage's `timeout:`). Plain stores suffice: a store costs the
/// per-item path a nanosecond where a message would cost a system call, and the agent only
/// needs a recent view. Where items are slow, under suspicion or timed, the worker also writes
/// the item's description and when it started.
final class HeldItemRecord {
    /// One page: the fields below, then a description of up to the rest of the page.
    static let size = 4096
    private static let holdingOffset = 0
    private static let idOffset = 8
    /// Counts items held: the agent tells a long-running item from a run of short ones.
    private static let countOffset = 16
    /// When the item started, in ``DispatchTime`` nanoseconds; 0 when not stamped.
    private static let startedOffset = 24
    /// The stage's timeout in nanoseconds, written once; 0 for none.
    private static let timeoutOffset = 32
    private static let descriptionLengthOffset = 40
    private static let descriptionOffset = 44
    private static let descriptionCapacity = size - descriptionOffset

    private let memory: UnsafeMutableRawPointer
    /// The agent's descriptor of the shared memory, until the worker was spawned with it.
    private(set) var descriptor: Int32?
    /// Items held so far (the worker's own count, stored to the page with each).
    private var count: UInt64 = 0

    /// For an agent: a new record to hand to the worker it spawns.
    /// - Throws: ``SystemCallError`` when the kernel refuses the memory or a descriptor.
    init() throws {
        let shared = try Syscalls.sharedMemory(named: "mpetl-held-item", size: Self.size)
        descriptor = shared.descriptor
        memory = shared.memory
    }

    /// For a worker: the record its agent handed it as `descriptor`, which this closes.
    /// - Throws: ``SystemCallError`` when it cannot be mapped.
    init(mapping descriptor: Int32) throws {
        defer { Syscalls.closeDescriptor(descriptor) }
        memory = try Syscalls.mapShared(descriptor, size: Self.size)
    }

    deinit {
        if let descriptor { Syscalls.closeDescriptor(descriptor) }
        Syscalls.unmap(memory, size: Self.size)
    }

    /// The worker has the descriptor now: the agent keeps only the mapping.
    func closeDescriptor() {
        if let descriptor { Syscalls.closeDescriptor(descriptor) }
        descriptor = nil
    }

    // MARK: Worker side

    /// The stage's timeout, for the agent to enforce; written once, before any item.
    func setTimeout(nanoseconds: UInt64) {
        memory.storeBytes(of: nanoseconds, toByteOffset: Self.timeoutOffset, as: UInt64.self)
    }

    /// The worker is about to run the item `id`; `startedAt` (``DispatchTime`` nanoseconds) when
    /// it is timed.
    @inline(__always)
    func hold(_ id: UInt64, startedAt: UInt64 = 0) {
        count &+= 1
        memory.storeBytes(of: id, toByteOffset: Self.idOffset, as: UInt64.self)
        memory.storeBytes(of: count, toByteOffset: Self.countOffset, as: UInt64.self)
        memory.storeBytes(of: startedAt, toByteOffset: Self.startedOffset, as: UInt64.self)
        memory.storeBytes(of: 0, toByteOffset: Self.descriptionLengthOffset, as: UInt32.self)
        memory.storeBytes(of: 1, toByteOffset: Self.holdingOffset, as: UInt64.self)
    }

    /// The worker is about to run the item `id`, described (it is slow, suspected or timed).
    func hold(_ id: UInt64, describedAs description: String, startedAt: UInt64 = 0) {
        let bytes = Array(description.utf8.prefix(Self.descriptionCapacity))
        bytes.withUnsafeBytes {
            (memory + Self.descriptionOffset).copyMemory(from: $0.baseAddress!, byteCount: $0.count)
        }
        hold(id, startedAt: startedAt)
        memory.storeBytes(of: UInt32(bytes.count), toByteOffset: Self.descriptionLengthOffset, as: UInt32.self)
    }

    /// The item's body returned (or threw): the worker holds no item.
    @inline(__always)
    func release() {
        memory.storeBytes(of: 0, toByteOffset: Self.holdingOffset, as: UInt64.self)
    }

    // MARK: Agent side

    /// The stage's timeout in nanoseconds, 0 for none (readable between items too).
    var timeoutNanoseconds: UInt64 { memory.load(fromByteOffset: Self.timeoutOffset, as: UInt64.self) }

    /// What the worker is running (or was, when it ended); nil between items.
    var held: HeldItem? { snapshot?.item }

    /// The page as the agent reads it: the item, its sequence among the worker's items, when
    /// it started (0 if not stamped), and the stage's timeout (0 for none). A view of a running
    /// worker may be torn by a store in between; the sampler only trusts what repeats.
    var snapshot: (item: HeldItem, count: UInt64, startedAt: UInt64, timeout: UInt64)? {
        guard memory.load(fromByteOffset: Self.holdingOffset, as: UInt64.self) == 1 else { return nil }
        let id = memory.load(fromByteOffset: Self.idOffset, as: UInt64.self)
        let length = min(
            Int(memory.load(fromByteOffset: Self.descriptionLengthOffset, as: UInt32.self)), Self.descriptionCapacity)
        let description =
            length == 0
            ? nil
            : String(
                decoding: UnsafeRawBufferPointer(start: memory + Self.descriptionOffset, count: length), as: UTF8.self)
        return (
            HeldItem(id: id, item: description), memory.load(fromByteOffset: Self.countOffset, as: UInt64.self),
            memory.load(fromByteOffset: Self.startedOffset, as: UInt64.self),
            memory.load(fromByteOffset: Self.timeoutOffset, as: UInt64.self)
        )
    }
}
