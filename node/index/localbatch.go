package index

// LocalOp is one write of LocalBatch: Value set under NS/Key, or the key
// deleted.
type LocalOp struct {
	NS, Key string
	Value   []byte
	Delete  bool
}

// LocalBatch applies node-local writes, possibly of several namespaces,
// in one durable batch: all or none survive a crash, and they cost one
// sync (capture jobs write a job's events and its state together).
func (x *Index) LocalBatch(ops []LocalOp) error {
	if x.db == nil {
		return ErrClosed
	}
	b := x.db.NewBatch()
	defer b.Close()
	for _, op := range ops {
		if !validComponent(op.NS) || !validComponent(op.Key) {
			return &QueryError{Param: "key", Reason: "empty or with NUL"}
		}
		k := key(tLocal, op.NS, op.Key)
		var err error
		if op.Delete {
			err = b.Delete(k, nil)
		} else {
			err = b.Set(k, op.Value, nil)
		}
		if err != nil {
			return err
		}
	}
	return b.Commit(x.writeOpts())
}
