#include "collect/netdev.h"

#include "collect/proc_text.h"
#include "collect/sample_writer.h"

namespace perfwatch {
namespace {

constexpr MetricDef kRxBytes{"system_network_receive_bytes_total", MetricKind::kCounter, "bytes",
                             "Bytes received."};
constexpr MetricDef kTxBytes{"system_network_transmit_bytes_total", MetricKind::kCounter, "bytes",
                             "Bytes sent."};
constexpr MetricDef kRxPackets{"system_network_receive_packets_total", MetricKind::kCounter, "",
                               "Packets received."};
constexpr MetricDef kTxPackets{"system_network_transmit_packets_total", MetricKind::kCounter, "",
                               "Packets sent."};
constexpr MetricDef kRxErrors{"system_network_receive_errors_total", MetricKind::kCounter, "",
                              "Receive errors."};
constexpr MetricDef kTxErrors{"system_network_transmit_errors_total", MetricKind::kCounter, "",
                              "Transmit errors."};
constexpr MetricDef kRxDrops{"system_network_receive_drops_total", MetricKind::kCounter, "",
                             "Received packets dropped."};
constexpr MetricDef kTxDrops{"system_network_transmit_drops_total", MetricKind::kCounter, "",
                             "Packets dropped before sending."};
constexpr MetricDef kDefs[] = {kRxBytes,  kTxBytes,  kRxPackets, kTxPackets,
                               kRxErrors, kTxErrors, kRxDrops,   kTxDrops};

}  // namespace

Result<std::vector<NetDevStats>> ParseNetDev(std::string_view text) {
  std::vector<NetDevStats> devs;
  LineScanner lines(text);
  std::string_view line;
  while (lines.Next(line)) {
    if (lines.number() <= 2) continue;  // headers
    // Counters hold no ':', so the last one ends the name.
    size_t colon = line.rfind(':');
    if (colon == std::string_view::npos) {
      if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
      return LineError(lines.number(), "expected \"interface: counters\"", line);
    }
    std::string_view name = line.substr(0, colon);
    while (!name.empty() && IsBlank(name.front())) name.remove_prefix(1);
    FieldScanner fields(line.substr(colon + 1));
    uint64_t v[16];
    for (uint64_t& x : v) {
      if (!fields.NextNumber(x)) return LineError(lines.number(), "expected 16 counters", line);
    }
    devs.push_back(NetDevStats{name, v[0], v[1], v[2], v[3], v[8], v[9], v[10], v[11]});
  }
  return devs;
}

NetdevCollector::NetdevCollector(const HostPaths& paths) : netdev_(paths.procfs + "/net/dev") {}

Status NetdevCollector::Collect(Appender& out) {
  Result<std::string_view> text = netdev_.Read(reader_);
  if (!text.ok()) return text.status();
  Result<std::vector<NetDevStats>> devs = ParseNetDev(*text);
  if (!devs.ok()) return PrefixPath(netdev_.path(), devs.status());
  if (!described_) {
    DescribeAll(out, kDefs);
    described_ = true;
  }
  SampleWriter w(out);
  for (const NetDevStats& d : *devs) {
    const Labels& l = interfaces_.Get(d.interface, [&] {
      return Labels{{"interface", std::string(d.interface)}};
    });
    w.Add(kRxBytes, l, static_cast<double>(d.receive_bytes));
    w.Add(kTxBytes, l, static_cast<double>(d.transmit_bytes));
    w.Add(kRxPackets, l, static_cast<double>(d.receive_packets));
    w.Add(kTxPackets, l, static_cast<double>(d.transmit_packets));
    w.Add(kRxErrors, l, static_cast<double>(d.receive_errors));
    w.Add(kTxErrors, l, static_cast<double>(d.transmit_errors));
    w.Add(kRxDrops, l, static_cast<double>(d.receive_drops));
    w.Add(kTxDrops, l, static_cast<double>(d.transmit_drops));
  }
  interfaces_.Sweep();
  return w.Finish();
}

}  // namespace perfwatch
