// The original MPETL README's first example: capitalise a nursery rhyme in an unnecessarily
// convoluted way. Each stage runs in its own worker process.
import MPETL

let rhyme = """
    Mary had a little lamb,
    His fleece was white as snow,
    And everywhere that Mary went,
    The lamb was sure to go.
    """

let pipeline = Pipeline()
try pipeline.addOrigin { (text: String, emit: Emitter<String>) in
    for line in text.split(separator: "\n") { emit(String(line)) }
}
try pipeline.addTask { (line: String) in line.uppercased() }
try pipeline.addDestination { (line: String) in print(line) }
try pipeline.start()
try pipeline.feed(rhyme)
try pipeline.join()
