import Testing
@Test func probe2() { #expect(1 == 1) }
