#include "node/rpc_io.h"

#include <charconv>

namespace hotbft::node::rpc {

Result<ListenAddress> ParseListenAddress(std::string_view text) {
  const auto bad = [&](std::string why) {
    return Status::InvalidArgument("listen address '" + std::string(text) + "': " + why +
                                   " (expected HOST:PORT or [IPV6]:PORT)");
  };
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return bad("no port");
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return bad("an IPv6 host must be in brackets");
  }
  if (host.empty()) return bad("no host");
  uint16_t port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size()) {
    return bad("bad port '" + std::string(port_text) + "'");
  }
  return ListenAddress{std::string(host), port};
}

Result<std::unique_ptr<tcp::acceptor>> Listen(asio::io_context& io, const ListenAddress& address) {
  const std::string where = address.host + ":" + std::to_string(address.port);
  boost::system::error_code ec;
  tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(address.host, std::to_string(address.port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || endpoints.empty()) {
    return Status::IoError("cannot resolve listen address " + where + ": " + ec.message());
  }
  const tcp::endpoint endpoint = endpoints.begin()->endpoint();
  auto acceptor = std::make_unique<tcp::acceptor>(io);
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::IoError("cannot listen on " + where + ": " + ec.message());
  return acceptor;
}

}  // namespace hotbft::node::rpc
