import ClusterModel
import Logging
import NIOCore
import WireProtocol

/// The output path of an attempt: its window cuts, numbers and sends chunks in order, holds
/// them until acknowledged, and makes the job wait while the window is full.
extension WorkerState {
    /// Takes output of an attempt and sends what is cut of it (``LogWindow``), compressed in the
    /// calling task. Waits while the attempt's window is full (backpressure); drops the output if
    /// the attempt is no longer this worker's or the task is cancelled (the incarnation is ending).
    nonisolated func log(_ job: JobID, epoch: Epoch, stream: LogStreamKind, output: ByteBuffer) async {
        guard let (attempt, cuts) = await reserve(job, epoch: epoch, stream: stream, output: output) else { return }
        await compressAndSend(cuts, job: job, epoch: epoch, attempt: attempt)
    }

    /// Compresses `cuts` in the calling task, then hands them to the window to be sent in turn.
    nonisolated func compressAndSend(_ cuts: [LogWindow.Cut], job: JobID, epoch: Epoch, attempt: UInt32) async {
        guard !cuts.isEmpty else { return }
        await fill(job, epoch: epoch, cuts.map { LogWindow.compress($0, job: job, attempt: attempt) })
    }

    /// Cuts output into numbered chunks once the window has room; `nil` if the attempt is gone.
    private func reserve(_ job: JobID, epoch: Epoch, stream: LogStreamKind, output: ByteBuffer) async -> (UInt32, [LogWindow.Cut])? {
        while let entry = jobs[job], entry.epoch == epoch, !entry.log.hasRoom {
            guard !Task.isCancelled else { return nil }
            await windowChanged.wait(for: job, since: windowChanged.generation)
        }
        // Mutated in place (`jobs[job]?.log`), not through a copy: the window's arrays are not copied per chunk.
        guard jobs[job]?.epoch == epoch, let attempt = jobs[job]?.attempt, let cuts = jobs[job]?.log.take(output, stream: stream) else { return nil }
        return (attempt, compressSmall(cuts, job: job, epoch: epoch, attempt: attempt))
    }

    /// Below this many bytes a chunk is compressed on the actor (microseconds), not handed out.
    static let inlineCompressionBytes = 4096

    /// Compresses and sends (in turn) the cuts under ``inlineCompressionBytes``; returns the
    /// others, to be compressed by the caller.
    func compressSmall(_ cuts: [LogWindow.Cut], job: JobID, epoch: Epoch, attempt: UInt32) -> [LogWindow.Cut] {
        var large: [LogWindow.Cut] = []
        var small: [LogChunk] = []
        for cut in cuts {
            if cut.output.readableBytes < Self.inlineCompressionBytes {
                small.append(LogWindow.compress(cut, job: job, attempt: attempt))
            } else {
                large.append(cut)
            }
        }
        fill(job, epoch: epoch, small)
        return large
    }

    /// Compressed chunks of the attempt are back: sends those whose turn has come.
    private func fill(_ job: JobID, epoch: Epoch, _ chunks: [LogChunk]) {
        guard !chunks.isEmpty, jobs[job]?.epoch == epoch, let ready = jobs[job]?.log.fill(chunks) else { return }
        for chunk in ready {
            send(.logChunk(chunk))
        }
    }

    /// Returns once every chunk of the attempt is durable, the attempt is gone, or the task is
    /// cancelled: what the job wrote is safe, its container may go.
    func outputDurable(_ job: JobID, epoch: Epoch) async {
        while let entry = jobs[job], entry.epoch == epoch, !entry.log.isEmpty {
            guard !Task.isCancelled else { return }
            await windowChanged.wait(for: job, since: windowChanged.generation)
        }
    }

    /// Frees what the acknowledgement covers and cuts the output held meanwhile; returns the
    /// attempt's epoch and number and the cuts to compress, or `nil` when nothing changed.
    func acknowledge(_ ack: LogAck) -> (Epoch, UInt32, [LogWindow.Cut])? {
        guard jobs[ack.jobID]?.attempt == ack.attempt, jobs[ack.jobID]?.log.acknowledge(through: ack.seq) == true,
            let held = jobs[ack.jobID]?.log.cutHeld(), let entry = jobs[ack.jobID]
        else { return nil }
        windowChanged.wake(ack.jobID)
        if case let .exited(status) = entry.phase, entry.log.isEmpty {
            send(.exited(report(ack.jobID, entry, status)))
        }
        return (entry.epoch, entry.attempt, compressSmall(held, job: ack.jobID, epoch: entry.epoch, attempt: entry.attempt))
    }
}
