// The original README's ordering rule, run for real: stages are added in a scrambled order,
// and each appends its name to the item, so the result shows the path one item took.
// Origins run first, then tasks, then destinations, each group in the order it was added.
import MPETL

/// A stage that appends `name` to the path it receives.
func visit(_ name: String) -> @Sendable (String) -> String? {
    { path in path.isEmpty ? name : path + " -> " + name }
}

let pipeline = Pipeline()
try pipeline.addDestination(visit("function_1"))
try pipeline.addOrigin(visit("function_2"))
try pipeline.addTask(visit("function_3"))
try pipeline.addTask(visit("function_4"))
try pipeline.addDestination(visit("function_5"))
try pipeline.addTask(visit("function_6"))
try pipeline.addOrigin(visit("function_7"))
try pipeline.addTask(visit("function_8"))
try pipeline.start()
try pipeline.feed("")
try pipeline.join()
for path in try pipeline.asCompleted(as: String.self) {
    print(path)
}
