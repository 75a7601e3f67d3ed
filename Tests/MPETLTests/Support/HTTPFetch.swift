import Foundation
import Synchronization

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// One HTTP GET as a test sees it: the status, headers and body, with redirects not followed
/// (a test checks where they point).
struct HTTPReply {
    var status: Int
    var headers: [String: String]
    var body: String

    func header(_ name: String) -> String? {
        headers.first { $0.key.lowercased() == name.lowercased() }?.value
    }
}

enum HTTPFetch {
    /// Fetches `url` with `headers`, waiting at most `timeout` seconds.
    /// - Throws: the transport's error (refused, timed out).
    static func get(_ url: String, headers: [String: String] = [:], timeout: TimeInterval = 10) throws -> HTTPReply {
        var request = URLRequest(url: URL(string: url)!, timeoutInterval: timeout)
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let outcome = Mutex<Result<HTTPReply, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let session = URLSession(configuration: .ephemeral, delegate: NoRedirects(), delegateQueue: nil)
        defer { session.invalidateAndCancel() }
        session.dataTask(with: request) { data, response, error in
            let result: Result<HTTPReply, any Error>
            if let response = response as? HTTPURLResponse {
                var fields: [String: String] = [:]
                for (name, value) in response.allHeaderFields { fields["\(name)"] = "\(value)" }
                result = .success(
                    HTTPReply(
                        status: response.statusCode, headers: fields,
                        body: String(decoding: data ?? Data(), as: UTF8.self)))
            } else {
                result = .failure(error ?? URLError(.badServerResponse))
            }
            outcome.withLock { $0 = result }
            done.signal()
        }.resume()
        done.wait()
        return try outcome.withLock { $0! }.get()
    }

    private final class NoRedirects: NSObject, URLSessionTaskDelegate, Sendable {
        func urlSession(
            _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
            newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void
        ) {
            completionHandler(nil)
        }
    }
}
