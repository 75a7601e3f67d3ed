/// How a stage's state commits its held-back work, if it holds any back: found once, after
/// setup, so the per-report path does not cast.
enum StateCommitter {
    case none
    case synchronous(any Committing)
    case asynchronous(any AsyncCommitting)

    init(_ state: Any) {
        if let committing = state as? any Committing {
            self = .synchronous(committing)
        } else if let committing = state as? any AsyncCommitting {
            self = .asynchronous(committing)
        } else {
            self = .none
        }
    }

    var commits: Bool {
        if case .none = self { return false }
        return true
    }

    /// Commits on the calling (worker) thread, which waits for an asynchronous commit.
    func commit() throws {
        switch self {
        case .none: return
        case .synchronous(let committing): try committing.commit()
        case .asynchronous(let committing): try BlockingAwait.run { try await committing.commit() }
        }
    }
}
