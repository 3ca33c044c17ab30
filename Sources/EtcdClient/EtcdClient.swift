// EtcdClient
