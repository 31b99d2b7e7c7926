package policy

// MayAutoProvision reports whether a verified Google identity may become a
// user of the org on its first sign-in, without an admin provisioning it:
// its hosted domain (the ID token's hd claim, which Google sets only for
// accounts a Workspace or Cloud organization manages) is one of the org's
// internal domains, and the address is at exactly that domain.
//
// A consumer Google account registered with a company address has no hd,
// so it is not a colleague however its address reads. An address at a
// subdomain of an internal domain is not admitted unless the subdomain is
// itself an internal domain: a subdomain may be delegated to someone else.
func MayAutoProvision(address, hostedDomain string, internalDomains []string) bool {
	if hostedDomain == "" {
		return false
	}
	addr, err := NormalizeAddress(address)
	if err != nil {
		return false
	}
	hd, err := NormalizeDomain(hostedDomain)
	if err != nil || DomainOf(addr) != hd {
		return false
	}
	for _, d := range internalDomains {
		if n, err := NormalizeDomain(d); err == nil && n == hd {
			return true
		}
	}
	return false
}
