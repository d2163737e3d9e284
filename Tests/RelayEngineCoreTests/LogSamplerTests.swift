import RelayEngineCore
import Testing

@Suite struct LogSamplerTests {
    @Test func writesTheFirstLinesOfATickThenEveryNthCountingTheRest() {
        var sampler = LogSampler(first: 3, thereafter: 4, tickMilliseconds: 1_000)
        let decisions = (0..<12).map { sampler.decide(now: 100 + Int64($0)) }
        #expect(
            decisions == [
                .log(suppressedBefore: 0), .log(suppressedBefore: 0), .log(suppressedBefore: 0),
                .suppress, .suppress, .suppress, .log(suppressedBefore: 3),
                .suppress, .suppress, .suppress, .log(suppressedBefore: 3),
                .suppress,
            ])
    }

    @Test func aNewTickWritesAgainAndReportsWhatTheLastOneLeftOut() {
        var sampler = LogSampler(first: 1, thereafter: 100, tickMilliseconds: 1_000)
        #expect(sampler.decide(now: 0) == .log(suppressedBefore: 0))
        #expect(sampler.decide(now: 500) == .suppress)
        #expect(sampler.decide(now: 999) == .suppress)
        // The tick ends 1,000 ms after it started: the next line is written and carries the count.
        #expect(sampler.decide(now: 1_000) == .log(suppressedBefore: 2))
        #expect(sampler.decide(now: 1_001) == .suppress)
        #expect(sampler.decide(now: 5_000) == .log(suppressedBefore: 1))
    }

    @Test func aClockThatStepsBackStartsANewTick() {
        var sampler = LogSampler(first: 1, thereafter: 100, tickMilliseconds: 1_000)
        #expect(sampler.decide(now: 10_000) == .log(suppressedBefore: 0))
        #expect(sampler.decide(now: 10_001) == .suppress)
        #expect(sampler.decide(now: 9_000) == .log(suppressedBefore: 1))
    }
}
