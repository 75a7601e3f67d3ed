import Synchronization

/// What an async stage's item passes on, encoded by the task that ran it: the worker's thread
/// only copies the bytes into its output batch, and an encoding failure counts against the item
/// (its error policy applies), as it does for a synchronous body.
struct EncodedItems: Sendable {
    var bytes: [UInt8] = []
    /// Where each item's bytes end.
    var ends: [Int] = []

    var isEmpty: Bool { ends.isEmpty }

    /// Calls `body` with each item's bytes, in the order they were emitted.
    func forEachItem(_ body: (UnsafeRawBufferPointer) throws -> Void) rethrows {
        try bytes.withUnsafeBytes { all in
            var start = 0
            for end in ends {
                try body(UnsafeRawBufferPointer(rebasing: all[start..<end]))
                start = end
            }
        }
    }
}

/// One item of an async stage that finished, as its task hands it to the worker's thread.
struct FinishedItem: Sendable {
    enum Outcome: Sendable {
        /// The body returned: what it emitted.
        case emitted(EncodedItems)
        /// The body threw under ``ErrorPolicy/skip`` (after any retries): the item as described.
        case skipped(item: String, error: String)
        /// The body threw and the stage fails.
        case failed(item: String, error: any Error)
    }

    var id: UInt64
    /// The worker's input batch it came from (see ``InputLedger``).
    var input: Int
    /// The ``HeldItemRecord`` slot it held.
    var slot: Int
    var outcome: Outcome
}

/// Items that finished on Swift's concurrency pool, waiting for the worker's thread, which
/// polls ``descriptor`` beside its sockets: the tasks never touch a socket, and the worker's
/// ZeroMQ loop never waits on the pool.
final class FinishedItems: Sendable {
    private let items = Mutex<[FinishedItem]>([])
    /// Readable while items wait; signalled by the task that adds to an empty list, so a burst
    /// of finishes costs one system call.
    let descriptor: Int32

    init() throws {
        descriptor = try Syscalls.eventDescriptor()
    }

    deinit { Syscalls.closeDescriptor(descriptor) }

    func add(_ item: FinishedItem) {
        let wasEmpty = items.withLock {
            $0.append(item)
            return $0.count == 1
        }
        if wasEmpty { Syscalls.signalEvent(descriptor) }
    }

    /// Everything that finished since the last call.
    func take() -> [FinishedItem] {
        items.withLock { items in
            guard !items.isEmpty else { return [] }
            // Cleared under the lock: a task adding after this signals again.
            Syscalls.clearEvent(descriptor)
            defer { items.removeAll(keepingCapacity: true) }
            return items
        }
    }
}
