/// The item a worker is running, kept in memory its agent can still read after the worker died.
///
/// A worker killed by an item (a bad access in the body, an abort, `exit` called by user code)
/// cannot say which item that was. So before it runs each item it writes the item's id into a
/// page it shares with the agent that started it (a memfd the agent maps and hands to the worker
/// as a descriptor), and the agent reads the page once the kernel says the worker exited. Plain
/// stores suffice: the agent reads only after the worker is gone, and a store costs the per-item
/// path a few nanoseconds where a message would cost a system call. For an item already under
/// suspicion the worker writes its description too, so the agent can name it.
final class HeldItemRecord {
    /// One page: the flag, the id, and a description of up to `size - descriptionOffset` bytes.
    static let size = 4096
    private static let holdingOffset = 0
    private static let idOffset = 8
    private static let descriptionLengthOffset = 16
    private static let descriptionOffset = 20
    private static let descriptionCapacity = size - descriptionOffset

    private let memory: UnsafeMutableRawPointer
    /// The agent's descriptor of the shared memory, until the worker was spawned with it.
    private(set) var descriptor: Int32?

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

    /// The worker is about to run the item `id`.
    @inline(__always)
    func hold(_ id: UInt64) {
        memory.storeBytes(of: id, toByteOffset: Self.idOffset, as: UInt64.self)
        memory.storeBytes(of: 0, toByteOffset: Self.descriptionLengthOffset, as: UInt32.self)
        memory.storeBytes(of: 1, toByteOffset: Self.holdingOffset, as: UInt64.self)
    }

    /// The worker is about to run the item `id`, which killed a worker before: described.
    func hold(_ id: UInt64, describedAs description: String) {
        let bytes = Array(description.utf8.prefix(Self.descriptionCapacity))
        bytes.withUnsafeBytes { (memory + Self.descriptionOffset).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        memory.storeBytes(of: id, toByteOffset: Self.idOffset, as: UInt64.self)
        memory.storeBytes(of: UInt32(bytes.count), toByteOffset: Self.descriptionLengthOffset, as: UInt32.self)
        memory.storeBytes(of: 1, toByteOffset: Self.holdingOffset, as: UInt64.self)
    }

    /// The item's body returned (or threw): the worker holds no item.
    @inline(__always)
    func release() {
        memory.storeBytes(of: 0, toByteOffset: Self.holdingOffset, as: UInt64.self)
    }

    // MARK: Agent side

    /// What the worker was running when it ended; nil when it was between items.
    var held: HeldItem? {
        guard memory.load(fromByteOffset: Self.holdingOffset, as: UInt64.self) == 1 else { return nil }
        let id = memory.load(fromByteOffset: Self.idOffset, as: UInt64.self)
        let length = min(Int(memory.load(fromByteOffset: Self.descriptionLengthOffset, as: UInt32.self)), Self.descriptionCapacity)
        let description = length == 0 ? nil
            : String(decoding: UnsafeRawBufferPointer(start: memory + Self.descriptionOffset, count: length), as: UTF8.self)
        return HeldItem(id: id, item: description)
    }
}
