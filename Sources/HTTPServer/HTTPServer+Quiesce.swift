import NIOCore

extension HTTPServer {
    /// Drains the open connections after `stopAccepting`: each HTTP connection closes as soon as
    /// its in-flight response is sent (an idle one at once — NIO's HTTP pipeline acts on
    /// `ChannelShouldQuiesceEvent`); WebSocket connections close when their sessions do. Returns
    /// when every connection has closed, or at `deadline`, closing the rest; answers how many
    /// had to be closed that way.
    public func quiesce(deadline: Duration) async -> Int {
        let channels = connections.openChannels
        for channel in channels {
            channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
        return await withTaskGroup(of: Int?.self) { tasks in
            tasks.addTask {
                for channel in channels { try? await channel.closeFuture.get() }
                return nil
            }
            tasks.addTask {
                guard (try? await Task.sleep(for: deadline)) != nil else { return nil }
                let left = channels.filter(\.isActive)
                for channel in left { try? await channel.close() }
                return left.count
            }
            let first = await tasks.next() ?? nil
            tasks.cancelAll()
            return first ?? 0
        }
    }
}
