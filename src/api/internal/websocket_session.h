#pragma once
// The WebSocket side of HttpServer (websocket.cpp), as the HTTP session hands over to it.

#include <string>

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "api/http_server.h"
#include "api/internal/server_core.h"

namespace sb::api::internal {

/// Takes over an accepted upgrade request: answers the handshake on `stream` (101, or Beast's
/// 400/426 for a malformed one), then runs the connection with `callbacks`. Loop.
void startWebSocket(ServerCore& core, boost::beast::tcp_stream stream,
                    boost::beast::http::request<boost::beast::http::string_body> request,
                    WsCallbacks callbacks);

/// Server stop: closes every WebSocket's socket without a close frame, calling onClose of each
/// opened one first. Loop.
void closeAllWebSockets(ServerCore& core);

}  // namespace sb::api::internal
