import Foundation

/// Which build of the program a process runs, part of the fingerprint every worker must match:
/// two builds with the same stages but different code must not serve one pipeline.
///
/// By default it is the executable's GNU build id (a hash the linker computes over the whole
/// build). A user who knows two builds are equivalent (the same source built on two machines,
/// say) sets `MPETL_BUILD_IDENTITY` to the same value for the driver and every worker host:
/// that value is compared instead, and nothing is admitted silently.
enum BuildIdentity {
    /// The separator between a fingerprint's stages and its build identity.
    static let separator = " | build "

    static let current: String = {
        if let chosen = EnvironmentVariable.buildIdentity.value {
            return "\(EnvironmentVariable.buildIdentity.name)=\(chosen)"
        }
        if let id = Syscalls.buildID { return "id \(id)" }
        // No build id (linked without one): the executable's size is a weak stand-in.
        let size = (try? FileManager.default.attributesOfItem(atPath: Syscalls.executablePath)[.size] as? Int) ?? 0
        return "of \(size) bytes (no build id)"
    }()

    /// `stages` followed by this build's identity.
    static func fingerprint(stages: String) -> String {
        stages + separator + current
    }

    /// Why a worker's fingerprint differs from the driver's, in words that say what to do.
    static func mismatch(worker: String, driver: String, label: String) -> String {
        let workerParts = worker.components(separatedBy: separator)
        let driverParts = driver.components(separatedBy: separator)
        if workerParts.count == 2, driverParts.count == 2, workerParts[0] == driverParts[0] {
            return
                "the worker runs build \(workerParts[1]) but the driver runs build \(driverParts[1]), with the same "
                + "stages: run the same binary everywhere, or, for builds you know are equivalent, set "
                + "\(EnvironmentVariable.buildIdentity.name) to the same value for the driver and every worker "
                + "host"
        }
        return
            "the worker's program defines \(label) as [\(worker)] but the driver defined [\(driver)]: run the same "
            + "binary, built from the same source, everywhere"
    }
}
