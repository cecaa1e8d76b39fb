"""Two demo business systems that sign on through the platform, as real relying parties do:
高企认定 over OpenID Connect (Authlib's client) and 科小企评价 over CAS (python-cas).
`make run` starts both; the browser journey test runs them against a live platform."""
