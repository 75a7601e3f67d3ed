/// What the coordinator must do after an event: send a control message or kill a process.
enum CoordinatorAction {
    case send(to: [UInt8], ControlMessage)
    case kill(pid: Int32)
    /// Asks `agent` to start a worker (a replacement for one that died).
    case spawn(agent: [UInt8], WorkerSpawnRequest)
}
