import Dispatch

/// The items a worker is running, kept in memory its agent can read while the worker runs and
/// after it died.
///
/// A worker killed by an item (a bad access in the body, an abort, `exit` called by user code)
/// cannot say which item that was, and one stuck in a body cannot say anything. So before it
/// runs each item it writes the item's id into memory it shares with the agent that started it
/// (a memfd the agent maps and hands to the worker as a descriptor): the agent reads it once the
/// kernel says the worker exited, and samples it meanwhile to see items that run long (and to
/// end those past the stage's `timeout:`). Plain stores suffice: a store costs the per-item path
/// a nanosecond where a message would cost a system call, and the agent only needs a recent
/// view. Where items are slow, under suspicion or timed, the worker also writes the item's
/// description and when it started.
///
/// One *slot* per item in flight: a synchronous stage uses slot 0, a stage with
/// `concurrency: n` the first n. The memory is sized for ``maximumSlots``, but the kernel backs
/// only the pages a worker touches, so a stage running one item at a time costs two pages.
final class HeldItemRecord {
    /// The most items one worker may have in flight (`concurrency:`'s upper bound).
    static let maximumSlots = 4096
    /// The record's header, then the slots.
    private static let headerSize = 64
    /// The stage's timeout in nanoseconds, written once; 0 for none.
    private static let timeoutOffset = 0
    /// How many slots the worker uses, written once; the agent reads no further.
    private static let slotsInUseOffset = 8
    /// One slot: the fields below, then a description of up to the rest of the slot.
    static let slotSize = 1024
    private static let holdingOffset = 0
    private static let idOffset = 8
    /// Counts items held by the worker: the agent tells a long-running item from a run of short
    /// ones in the same slot.
    private static let countOffset = 16
    /// When the item started, in ``DispatchTime`` nanoseconds; 0 when not stamped.
    private static let startedOffset = 24
    private static let descriptionLengthOffset = 32
    private static let descriptionOffset = 36
    static let descriptionCapacity = slotSize - descriptionOffset
    static let size = headerSize + maximumSlots * slotSize

    /// What the agent reads of one slot.
    struct SlotView: Equatable {
        var slot: Int
        var item: HeldItem
        /// The worker's count of items held when this one started (see ``countOffset``).
        var count: UInt64
        /// When it started (``DispatchTime`` nanoseconds), 0 if not stamped.
        var startedAt: UInt64
    }

    private let memory: UnsafeMutableRawPointer
    /// The agent's descriptor of the shared memory, until the worker was spawned with it.
    private(set) var descriptor: Int32?
    /// Items held so far (the worker's own count, stored with each).
    private var count: UInt64 = 0

    /// For an agent: a new record to hand to the worker it spawns.
    /// - Throws: ``SystemCallError`` when the kernel refuses the memory or a descriptor.
    init() throws {
        let shared = try Syscalls.sharedMemory(named: "mpetl-held-item", size: Self.size)
        descriptor = shared.descriptor
        memory = shared.memory
        memory.storeBytes(of: 1, toByteOffset: Self.slotsInUseOffset, as: UInt64.self)
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

    @inline(__always)
    private func slotBase(_ slot: Int) -> UnsafeMutableRawPointer {
        memory + Self.headerSize + slot * Self.slotSize
    }

    // MARK: Worker side

    /// The stage's timeout, for the agent to enforce; written once, before any item.
    func setTimeout(nanoseconds: UInt64) {
        memory.storeBytes(of: nanoseconds, toByteOffset: Self.timeoutOffset, as: UInt64.self)
    }

    /// How many slots the worker uses (its stage's `concurrency`), written once, before any item.
    func setSlotsInUse(_ slots: Int) {
        memory.storeBytes(
            of: UInt64(min(max(1, slots), Self.maximumSlots)), toByteOffset: Self.slotsInUseOffset, as: UInt64.self)
    }

    /// The worker is about to run the item `id` in `slot`; `startedAt` (``DispatchTime``
    /// nanoseconds) when it is timed.
    @inline(__always)
    func hold(_ id: UInt64, slot: Int = 0, startedAt: UInt64 = 0) {
        count &+= 1
        let base = slotBase(slot)
        base.storeBytes(of: id, toByteOffset: Self.idOffset, as: UInt64.self)
        base.storeBytes(of: count, toByteOffset: Self.countOffset, as: UInt64.self)
        base.storeBytes(of: startedAt, toByteOffset: Self.startedOffset, as: UInt64.self)
        base.storeBytes(of: 0, toByteOffset: Self.descriptionLengthOffset, as: UInt32.self)
        base.storeBytes(of: 1, toByteOffset: Self.holdingOffset, as: UInt64.self)
    }

    /// The worker is about to run the item `id` in `slot`, described (it is slow, suspected or
    /// timed).
    func hold(_ id: UInt64, slot: Int = 0, describedAs description: String, startedAt: UInt64 = 0) {
        let bytes = Array(description.utf8.prefix(Self.descriptionCapacity))
        let base = slotBase(slot)
        bytes.withUnsafeBytes {
            (base + Self.descriptionOffset).copyMemory(from: $0.baseAddress!, byteCount: $0.count)
        }
        hold(id, slot: slot, startedAt: startedAt)
        base.storeBytes(of: UInt32(bytes.count), toByteOffset: Self.descriptionLengthOffset, as: UInt32.self)
    }

    /// The item in `slot` returned (or threw): the slot holds nothing.
    @inline(__always)
    func release(slot: Int = 0) {
        slotBase(slot).storeBytes(of: 0, toByteOffset: Self.holdingOffset, as: UInt64.self)
    }

    // MARK: Agent side

    /// The stage's timeout in nanoseconds, 0 for none (readable between items too).
    var timeoutNanoseconds: UInt64 { memory.load(fromByteOffset: Self.timeoutOffset, as: UInt64.self) }

    /// What the worker is running (or was, when it ended), slot by slot; empty between items.
    var held: [HeldItem] { slots.map(\.item) }

    /// The slots that hold an item, as the agent reads them. A view of a running worker may be
    /// torn by a store in between; the sampler only trusts what repeats.
    var slots: [SlotView] {
        let inUse = Int(
            min(
                max(1, memory.load(fromByteOffset: Self.slotsInUseOffset, as: UInt64.self)),
                UInt64(Self.maximumSlots)))
        return (0..<inUse).compactMap(slot)
    }

    private func slot(_ slot: Int) -> SlotView? {
        let base = slotBase(slot)
        guard base.load(fromByteOffset: Self.holdingOffset, as: UInt64.self) == 1 else { return nil }
        let id = base.load(fromByteOffset: Self.idOffset, as: UInt64.self)
        let length = min(
            Int(base.load(fromByteOffset: Self.descriptionLengthOffset, as: UInt32.self)), Self.descriptionCapacity)
        let description =
            length == 0
            ? nil
            : String(
                decoding: UnsafeRawBufferPointer(start: base + Self.descriptionOffset, count: length), as: UTF8.self)
        return SlotView(
            slot: slot, item: HeldItem(id: id, item: description),
            count: base.load(fromByteOffset: Self.countOffset, as: UInt64.self),
            startedAt: base.load(fromByteOffset: Self.startedOffset, as: UInt64.self))
    }
}
