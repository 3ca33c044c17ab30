// ClusterModel
