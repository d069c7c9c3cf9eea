extension DownstreamConnection {
    /// Called as a request starts: the connection moves to the worker's current snapshot, so a
    /// keep-alive connection serves each request with the config current when it arrived, and
    /// an exchange keeps the snapshot it started on to its end. A connection whose listener a
    /// reload removed stays on its old snapshot (``isWindingDown``).
    func adoptCurrentSnapshot() {
        let current = worker.snapshot
        guard current !== snapshot,
              let index = current.runtime.listenerIndex(of: snapshot.runtime.listeners[listenerIndex].address)
        else { return }
        snapshot = current
        listenerIndex = index
    }

    /// The gateway drains, or a reload removed this connection's listener: no keep-alive after
    /// the current exchange.
    var isWindingDown: Bool {
        if worker.isDraining { return true }
        let current = worker.snapshot
        return current !== snapshot && current.runtime.listenerIndex(of: snapshot.runtime.listeners[listenerIndex].address) == nil
    }
}
