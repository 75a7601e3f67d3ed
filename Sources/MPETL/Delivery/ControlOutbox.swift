import ZeroMQ

/// Control messages to the coordinator, sent by a loop thread that must never block on them.
///
/// A DEALER blocks a send while it has no connected peer: before a TCP connection is up,
/// between reconnects, and for ever while a CURVE handshake keeps failing (the coordinator
/// has another key). A loop blocked there could not see its coordinator's silence, answer a
/// signal, or reap its children, and `start()` would wait without end. So what cannot leave at
/// once waits here, in order, and leaves when the loop next flushes (it polls the socket for
/// room meanwhile: ``wantsRoom``). Messages wait only as long as the coordinator may be silent
/// before the loop gives up on it, and they are small, so the queue stays small.
struct ControlOutbox {
    private var waiting = FIFO<[UInt8]>()

    /// Whether messages wait for room: poll the socket for `.writable` too.
    var wantsRoom: Bool { !waiting.isEmpty }

    /// Sends `bytes` now if the socket takes them and nothing waits before them; else queues.
    mutating func send(_ bytes: [UInt8], through socket: Socket) throws {
        if waiting.isEmpty, try bytes.withUnsafeBytes({ try socket.trySend($0) }) {
            return
        }
        waiting.append(bytes)
    }

    /// Sends what waits, in order, until the socket has no more room.
    mutating func flush(through socket: Socket) throws {
        while let next = waiting.first {
            guard try next.withUnsafeBytes({ try socket.trySend($0) }) else { return }
            _ = waiting.removeFirst()
        }
    }

    /// Drops what waits: the coordinator is gone, and nothing will read it.
    mutating func discard() {
        _ = waiting.removeAll()
    }
}
