// The original README's second example: one pipeline sends its items straight to another,
// found by name. Prints "HELLO WORLD".
import MPETL

func sendDirectlyToSecond(_ something: String) throws {
    try Pipeline.send("some name", something)
}

func uppercaseIt(_ something: String, emit: Emitter<String>) {
    emit(something.uppercased())
}

let first = Pipeline()
try first.addTask(sendDirectlyToSecond)
let second = Pipeline(name: "some name")
try second.addTask(uppercaseIt)
try first.start()
try second.start()
try first.feed("Hello world")
try first.join()  // join senders before the pipelines they send to
try second.join()
for result in try second.asCompleted(as: String.self) {
    print(result)
}
