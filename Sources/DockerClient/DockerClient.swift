// DockerClient
