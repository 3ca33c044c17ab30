import ArgumentParser
import Foundation

extension ParsableCommand {
    /// Parses the command line, runs the command, and exits. Every refusal or failure is one
    /// line on stderr, `program: sentence`, without ArgumentParser's usage block; `--help`
    /// prints the help.
    ///
    /// Exit codes: what a thrown ``ExitCode`` says; `failureCode(error)` when it names one (a
    /// program's own failures); 1 for ``ExitCode/failure``; `usageCode` for a usage error
    /// (ArgumentParser's refusals and ``ValidationError``: 64 by default, as `EX_USAGE`).
    public static func runWithOneLineErrors(
        program: String,
        usageCode: Int32 = ExitCode.validationFailure.rawValue,
        failureCode: (any Error) -> Int32? = { _ in nil }
    ) async -> Never {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            Foundation.exit(0)
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch let error where failureCode(error) != nil {
            let message = (error as? ValidationError)?.message ?? "\(error)"
            FileHandle.standardError.write(Data("\(program): \(message)\n".utf8))
            Foundation.exit(failureCode(error) ?? 1)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            let message = message(for: error)
            FileHandle.standardError.write(Data("\(program): \(message.isEmpty ? fullMessage(for: error) : message)\n".utf8))
            Foundation.exit(code == .failure ? 1 : code == .validationFailure ? usageCode : code.rawValue)
        }
    }
}
