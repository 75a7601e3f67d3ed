/// A first-in, first-out queue on an array: amortised O(1) at both ends, no dependency.
struct FIFO<Element> {
    private var storage: [Element] = []
    private var head = 0

    var isEmpty: Bool { head == storage.count }
    var count: Int { storage.count - head }
    var first: Element? { isEmpty ? nil : storage[head] }
    var last: Element? { isEmpty ? nil : storage[storage.count - 1] }

    mutating func append(_ element: Element) { storage.append(element) }

    @discardableResult
    mutating func removeFirst() -> Element {
        let element = storage[head]
        head += 1
        if head == storage.count {
            storage.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 1024 && head * 2 >= storage.count {
            storage.removeFirst(head)
            head = 0
        }
        return element
    }

    /// Changes the last element in place.
    mutating func updateLast<T>(_ change: (inout Element) throws -> T) rethrows -> T {
        try change(&storage[storage.count - 1])
    }

    /// Changes the first element in place.
    mutating func updateFirst<T>(_ change: (inout Element) throws -> T) rethrows -> T {
        try change(&storage[head])
    }

    /// Element `offset` places from the front.
    subscript(offset: Int) -> Element {
        get { storage[head + offset] }
        set { storage[head + offset] = newValue }
    }

    /// The elements, front to back.
    var elements: ArraySlice<Element> { storage[head...] }

    /// Empties the queue, returning what it held in order.
    mutating func removeAll() -> [Element] {
        defer {
            storage.removeAll()
            head = 0
        }
        return Array(storage[head...])
    }
}
