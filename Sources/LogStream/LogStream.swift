// LogStream
