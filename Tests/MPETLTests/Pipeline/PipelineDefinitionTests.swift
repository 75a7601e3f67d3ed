import Testing

@testable import MPETL

/// What the pipeline checks before any process starts. None of these starts a worker.
@Suite("Pipeline definition")
struct PipelineDefinitionTests {
    @Test func stagesRunOriginsThenTasksThenDestinationsEachInTheOrderAdded() throws {
        let pipeline = Pipeline()
        let names = [
            "function_1", "function_2", "function_3", "function_4", "function_5", "function_6", "function_7",
            "function_8",
        ]
        let kinds: [StageKind] = [.destination, .origin, .task, .task, .destination, .task, .origin, .task]
        var stages: [StageDefinition] = []
        for (index, kind) in kinds.enumerated() {
            var stage = StageDefinition.returning(
                kind: kind, processes: .count(index + 1), chunkSize: 1, setup: {}, teardown: nil
            ) { (path: String) in path }
            stage.label = names[index]
            stages.append(stage)
        }
        _ = pipeline
        let order = Pipeline.executionOrder(stages).map(\.processes)
        #expect(order == [2, 7, 3, 4, 6, 8, 1, 5].map { ProcessCount.count($0) })
        #expect(
            Pipeline.executionOrder(stages).map(\.label).prefix(3) == [
                "origin 1 (String -> String)", "origin 2 (String -> String)", "task 1 (String -> String)",
            ])
    }

    @Test func aTypeMismatchBetweenStagesIsReportedAtStart() throws {
        let pipeline = Pipeline(name: "mismatched")
        try pipeline.addTask { (line: String) in line.count }
        try pipeline.addDestination { (line: String) in print(line) }
        let error = try #require(throws: PipelineError.self) { try pipeline.start() }
        #expect(error.code == .typeMismatch)
        #expect(error.pipeline == "mismatched")
        #expect(error.stage == "destination 1 (String -> nothing)")
        #expect(error.description.contains("takes String but task 1 (String -> Int) produces Int"))
    }

    @Test func aStageThatReturnsNothingCannotFeedAnother() throws {
        let pipeline = Pipeline()
        try pipeline.addTask { (line: String) in print(line) }
        try pipeline.addDestination { (line: String) in print(line) }
        let error = try #require(throws: PipelineError.self) { try pipeline.start() }
        #expect(error.code == .typeMismatch)
        #expect(error.reason.contains("returns nothing"))
    }

    @Test func anEmptyPipelineCannotStart() throws {
        let error = try #require(throws: PipelineError.self) { try Pipeline().start() }
        #expect(error.code == .invalidDefinition)
        #expect(error.reason.contains("add an origin, task or destination"))
    }

    @Test func feedJoinAndResultsBeforeStartSayToStartFirst() throws {
        let pipeline = Pipeline()
        try pipeline.addTask { (value: Int) in value }
        for error in [
            try #require(throws: PipelineError.self) { try pipeline.feed(1) },
            try #require(throws: PipelineError.self) { try pipeline.feed(contentsOf: [1, 2]) },
            try #require(throws: PipelineError.self) { try pipeline.join() },
            try #require(throws: PipelineError.self) { _ = try pipeline.asCompleted(as: Int.self) },
            try #require(throws: PipelineError.self) { _ = try pipeline.stats() },
        ] {
            #expect(error.code == .notStarted)
            #expect(error.reason.contains("before start()"))
        }
    }

    @Test(arguments: [0, -1])
    func countsBelowOneAreRefused(count: Int) throws {
        let pipeline = Pipeline()
        let chunk = try #require(throws: PipelineError.self) {
            try pipeline.addTask(chunkSize: count) { (value: Int) in value }
        }
        #expect(chunk.code == .invalidDefinition)
        let processes = try #require(throws: PipelineError.self) {
            try pipeline.addTask(processes: .count(count)) { (value: Int) in value }
        }
        #expect(processes.code == .invalidDefinition)
    }

    @Test func aStagesNameIsItsLabelAndAnEmptyNameIsRefused() throws {
        let pipeline = Pipeline()
        try pipeline.addOrigin(name: "read") { (value: Int) in value }
        try pipeline.addTask { (value: Int) in String(value) }
        #expect(Pipeline.executionOrder(pipeline.stages).map(\.label) == ["read", "task 1 (Int -> String)"])
        let empty = try #require(throws: PipelineError.self) {
            try pipeline.addDestination(name: "  ") { (_: String) in }
        }
        #expect(empty.code == .invalidDefinition && empty.reason.contains("name"), "\(empty)")
    }

    @Test(arguments: [0, -1, 4097])
    func aConcurrencyOutsideOneTo4096IsRefusedSayingWhatToDo(concurrency: Int) throws {
        let pipeline = Pipeline()
        let error = try #require(throws: PipelineError.self) {
            try pipeline.addTask(concurrency: concurrency) { (value: Int) async in value }
        }
        #expect(error.code == .invalidDefinition)
        #expect(error.reason.contains("between 1 and 4096") && error.reason.contains("add processes"), "\(error)")
        try pipeline.addTask(concurrency: 4096) { (value: Int) async in value }
    }

    @Test func anAsyncBodyIsAnAsyncStageAndASynchronousOneRunsOneItemAtATime() throws {
        let pipeline = Pipeline()
        try pipeline.addTask { (value: Int) in value }
        try pipeline.addTask { (value: Int) async in value }
        try pipeline.addTask(concurrency: 3) { (value: Int) in value }
        #expect(pipeline.stageConcurrency == [1, 1, 3])
        #expect(pipeline.stageRunsAsync == [false, true, true])
    }

    @Test func aFailedStartLeavesThePipelineUnstarted() throws {
        let pipeline = Pipeline()
        try pipeline.addTask { (value: Int) in String(value) }
        try pipeline.addTask { (value: Int) in value }
        _ = try #require(throws: PipelineError.self) { try pipeline.start() }
        #expect((try #require(throws: PipelineError.self) { try pipeline.feed(1) }).code == .notStarted)
    }

    @Test func flowControlSplitsMaxSizeOverTheQueuesIntoEachStage() throws {
        let stages = [
            StageDefinition.returning(kind: .task, processes: 2, chunkSize: 10, setup: {}, teardown: nil) {
                (value: Int) in value
            },
            StageDefinition.returning(kind: .task, processes: 3, chunkSize: 1, setup: {}, teardown: nil) {
                (value: Int) in value
            },
        ]
        #expect(
            FlowControl.highWaterMarks(for: stages, maxSize: 10_000) == [
                10_000 / 10 / (2 * 1 * 2), 10_000 / (2 * 2 * 3),
            ])
        #expect(FlowControl.highWaterMarks(for: stages, maxSize: 1) == [1, 1])
        #expect(FlowControl.highWaterMarks(for: stages, maxSize: nil) == [0, 0])
    }
}
