// Metrics: values under concurrent updates, and the rendered text checked line by line
// against the Prometheus text exposition format.
#include "node/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace hotbft::node {
namespace {

// Checks `text` against the text format (version 0.0.4) and returns the samples by their
// full name with labels ("x_bucket{le=\"0.5\"}"). Failures are reported through gtest.
// Checked: every line is a HELP, a TYPE or a sample; HELP and TYPE come once per metric
// family, before its samples; sample names belong to the family of the last TYPE (with
// _bucket, _sum, _count for a histogram); label syntax and escapes; values parse; a
// histogram's buckets have ascending `le` bounds, cumulative counts, end with le="+Inf",
// and that bucket equals _count.
std::map<std::string, double> ParseExposition(const std::string& text) {
  static const std::regex kHelp(R"re(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*))re");
  static const std::regex kType(
      R"re(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped))re");
  // name, {labels}, value: groups 1, 2 and 7.
  static const std::regex kSample(
      R"re(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")*\})? ([^ ]+))re");
  static const std::regex kLe(R"re(\{le="([^"]*)"\})re");
  std::map<std::string, double> samples;
  std::set<std::string> helped, typed;
  std::string family, type;
  double last_le = -INFINITY, last_count = 0;
  bool inf_seen = true;
  auto finish_histogram = [&](int line) {
    if (type == "histogram") {
      EXPECT_TRUE(inf_seen) << "histogram " << family << " without +Inf, line " << line;
    }
  };
  EXPECT_TRUE(text.empty() || text.back() == '\n');
  std::istringstream in(text);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    std::smatch m;
    if (std::regex_match(line, m, kHelp)) {
      EXPECT_TRUE(helped.insert(m[1]).second) << "second HELP for " << m[1];
      continue;
    }
    if (std::regex_match(line, m, kType)) {
      finish_histogram(n);
      EXPECT_TRUE(typed.insert(m[1]).second) << "second TYPE for " << m[1];
      family = m[1];
      type = m[2];
      last_le = -INFINITY;
      last_count = 0;
      inf_seen = type != "histogram";
      continue;
    }
    if (!std::regex_match(line, m, kSample)) {
      ADD_FAILURE() << "line " << n << " is not a sample: " << line;
      continue;
    }
    const std::string name = m[1];
    const std::string labels = m[2];
    const std::string value_text = m[7];
    char* end = nullptr;
    double value = std::strtod(value_text.c_str(), &end);
    if (value_text == "+Inf") value = INFINITY;
    EXPECT_TRUE(value_text == "+Inf" || value_text == "NaN" || *end == '\0')
        << "line " << n << ": bad value " << value_text;
    EXPECT_FALSE(family.empty()) << "sample before any TYPE: " << line;
    EXPECT_TRUE(helped.count(family)) << "no HELP for " << family;
    if (type == "histogram") {
      EXPECT_TRUE(name == family + "_bucket" || name == family + "_sum" ||
                  name == family + "_count")
          << line;
      if (name == family + "_bucket") {
        std::smatch le;
        EXPECT_TRUE(std::regex_match(labels, le, kLe)) << line;
        const double bound =
            le[1] == "+Inf" ? INFINITY : std::strtod(std::string(le[1]).c_str(), nullptr);
        EXPECT_GT(bound, last_le) << "le not ascending: " << line;
        EXPECT_GE(value, last_count) << "buckets not cumulative: " << line;
        last_le = bound;
        last_count = value;
        if (std::isinf(bound)) inf_seen = true;
      }
      if (name == family + "_count") {
        EXPECT_TRUE(inf_seen) << "_count before the +Inf bucket: " << line;
        EXPECT_EQ(value, last_count) << "_count differs from the +Inf bucket";
      }
    } else {
      EXPECT_EQ(name, family) << line;
    }
    EXPECT_TRUE(samples.emplace(name + labels, value).second) << "duplicate sample " << line;
  }
  finish_histogram(n);
  return samples;
}

TEST(MetricsTest, RendersEveryKindInTheTextFormat) {
  MetricsRegistry r;
  Counter& c = r.AddCounter("test_events_total", "Events.");
  Gauge& g = r.AddGauge("test_depth", "Depth, can go negative.");
  Histogram& h = r.AddHistogram("test_latency_seconds", "Latency.", {0.1, 0.5, 2});
  CounterFamily& f = r.AddCounterFamily("test_refused_total", "Refusals by reason.", "reason");
  c.Inc();
  c.Inc(4);
  g.Set(10);
  g.Add(-13);
  for (double v : {0.05, 0.1, 0.3, 1.0, 5.0, 7.5}) h.Observe(v);
  f.With("bad_signature").Inc(2);
  f.With("quote\"back\\slash\nnewline").Inc();

  const std::string text = r.Render();
  const auto samples = ParseExposition(text);
  EXPECT_EQ(samples.at("test_events_total"), 5);
  EXPECT_EQ(samples.at("test_depth"), -3);
  EXPECT_EQ(samples.at("test_latency_seconds_bucket{le=\"0.1\"}"), 2);
  EXPECT_EQ(samples.at("test_latency_seconds_bucket{le=\"0.5\"}"), 3);
  EXPECT_EQ(samples.at("test_latency_seconds_bucket{le=\"2\"}"), 4);
  EXPECT_EQ(samples.at("test_latency_seconds_bucket{le=\"+Inf\"}"), 6);
  EXPECT_EQ(samples.at("test_latency_seconds_count"), 6);
  EXPECT_DOUBLE_EQ(samples.at("test_latency_seconds_sum"), 13.95);
  EXPECT_EQ(samples.at("test_refused_total{reason=\"bad_signature\"}"), 2);
  EXPECT_EQ(samples.at("test_refused_total{reason=\"quote\\\"back\\\\slash\\nnewline\"}"), 1);
  EXPECT_NE(text.find("# HELP test_events_total Events.\n# TYPE test_events_total counter\n"
                      "test_events_total 5\n"),
            std::string::npos)
      << text;
}

TEST(MetricsTest, TheNodesMetricsAreNamedAndParse) {
  NodeMetrics m;
  m.height.Set(42);
  m.commit_latency_seconds.Observe(0.3);
  m.invalid_messages.With("malformed_frame").Inc();
  m.evidence_recorded.With("double_vote").Inc();
  const std::string text = m.registry.Render();
  const auto samples = ParseExposition(text);
  for (const auto& [name, value] : samples) {
    EXPECT_TRUE(name.starts_with("hotbft_")) << name;
  }
  EXPECT_EQ(samples.at("hotbft_height"), 42);
  EXPECT_EQ(samples.at("hotbft_invalid_messages_total{reason=\"malformed_frame\"}"), 1);
  EXPECT_EQ(samples.at("hotbft_commit_latency_seconds_count"), 1);
  EXPECT_EQ(samples.at("hotbft_evidence_recorded_total{kind=\"double_vote\"}"), 1);
  for (const char* name :
       {"hotbft_round", "hotbft_timeouts_total", "hotbft_tcs_total", "hotbft_votes_sent_total",
        "hotbft_votes_received_total", "hotbft_proposals_sent_total",
        "hotbft_proposals_received_total", "hotbft_committed_txs_total", "hotbft_mempool_txs",
        "hotbft_mempool_bytes", "hotbft_peers", "hotbft_evidence_committed_total",
        "hotbft_evidence_pending"}) {
    EXPECT_TRUE(samples.count(name)) << name;
  }
}

TEST(MetricsTest, ConcurrentUpdatesAreAllCounted) {
  MetricsRegistry r;
  Counter& c = r.AddCounter("c_total", "c");
  Gauge& g = r.AddGauge("g", "g");
  Histogram& h = r.AddHistogram("h_seconds", "h", {1, 2});
  CounterFamily& f = r.AddCounterFamily("f_total", "f", "reason");
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Counter& mine = f.With(t % 2 ? "odd" : "even");
      for (int i = 0; i < kPerThread; ++i) {
        c.Inc();
        g.Add(1);
        h.Observe(i % 3);
        mine.Inc();
        if (i % 1000 == 0) (void)r.Render();  // scrapes race the updates
      }
    });
  }
  for (auto& t : threads) t.join();
  const auto samples = ParseExposition(r.Render());
  EXPECT_EQ(samples.at("c_total"), kThreads * kPerThread);
  EXPECT_EQ(samples.at("g"), kThreads * kPerThread);
  EXPECT_EQ(samples.at("h_seconds_count"), kThreads * kPerThread);
  EXPECT_EQ(samples.at("f_total{reason=\"odd\"}") + samples.at("f_total{reason=\"even\"}"),
            kThreads * kPerThread);
}

TEST(MetricsTest, ALabelFamilyIsBounded) {
  CounterFamily f("reason");
  for (size_t i = 0; i < CounterFamily::kValuesMax * 2; ++i) f.With("r" + std::to_string(i)).Inc();
  const auto values = f.values();
  EXPECT_EQ(values.size(), CounterFamily::kValuesMax);
  EXPECT_EQ(values.back().first, CounterFamily::kOverflowValue);
  EXPECT_EQ(values.back().second, CounterFamily::kValuesMax + 1);
  EXPECT_EQ(f.With("r0").value(), 1u);  // an existing value still has its own counter
}

TEST(MetricsTest, SampleValues) {
  EXPECT_EQ(FormatSampleValue(3), "3");
  EXPECT_EQ(FormatSampleValue(-2), "-2");
  EXPECT_EQ(FormatSampleValue(0.25), "0.25");
  EXPECT_EQ(FormatSampleValue(INFINITY), "+Inf");
  EXPECT_EQ(FormatSampleValue(-INFINITY), "-Inf");
  EXPECT_EQ(FormatSampleValue(NAN), "NaN");
  EXPECT_EQ(EscapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

TEST(MetricsDeathTest, BadNamesAndDuplicatesAreProgrammingErrors) {
  MetricsRegistry r;
  r.AddCounter("ok_total", "fine");
  EXPECT_DEATH(r.AddCounter("ok_total", "again"), "ok_total");
  EXPECT_DEATH(r.AddGauge("1bad", "digit first"), "1bad");
  EXPECT_DEATH(r.AddGauge("bad-name", "dash"), "bad-name");
  EXPECT_DEATH(r.AddCounterFamily("f_total", "f", "le"), "le");
  EXPECT_DEATH(r.AddHistogram("h", "h", {2, 1}), "");
}

}  // namespace
}  // namespace hotbft::node
