// CurlSupport
