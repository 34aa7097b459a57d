import SMSyncRuntime

/// The real transport, with a 60-second connect deadline wherever a request leaves it to the default (10 s): the
/// loopback servers of these tests share two cores with every other suite running at once, and a busy moment must
/// not read as a server that never answered. Tests of deadlines set their own.
struct PatientTransport: HTTPTransport {
    private let transport = URLSessionTransport()

    func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        var request = request
        request.connectTimeout = request.connectTimeout ?? 60
        return try await transport.send(request)
    }
}
