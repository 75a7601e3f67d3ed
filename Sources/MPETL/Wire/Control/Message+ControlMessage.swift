internal import MessagePack
import ZeroMQ

extension Message {
    /// The control message this frame holds, decoded in place; nil when it is malformed.
    func controlMessage(_ decoder: MessagePackDecoder) -> ControlMessage? {
        try? withUnsafeBytes { try decoder.decode(ControlMessage.self, from: $0) }
    }
}
