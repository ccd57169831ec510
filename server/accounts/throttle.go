package accounts

import (
	"context"

	"github.com/hubtalks/hubtalks/server/domain"
)

// The login throttle. Every attempt is counted before the password is
// checked, in one atomic step of the shared limiter (Redis when configured),
// so parallel guesses cannot all pass one check. Three budgets, all in
// LoginWindow:
//
//   - per client address, whatever the account (password spraying):
//     LoginAttemptsPerIP;
//   - per account and address: LoginFailuresPerAccount attempts, cleared by
//     a success — the attacker's address runs out, the owner's does not;
//   - per account from every address: accountAttemptsFactor times that. Once
//     it is spent the account is under attack from many addresses, and each
//     pair of account and address gets only underAttackAttempts: every new
//     address buys the attacker little, while the owner, from an address
//     that has not failed, still signs in.
const (
	accountAttemptsFactor = 10
	underAttackAttempts   = 3
)

// admitLogin counts one sign-in attempt for email from the address from, or
// refuses it with a 429 when a budget is spent. After the password matched,
// call succeeded to clear the address's count for the account.
func (s *Service) admitLogin(ctx context.Context, email, from string) (succeeded func(), err error) {
	if ok, retry := s.limiter.Allow(ctx, "login:ip:"+from, s.cfg.LoginAttemptsPerIP, s.cfg.LoginWindow); !ok {
		return nil, domain.TooMany("too many sign-in attempts from your address; wait and try again", retry)
	}
	perPair := s.cfg.LoginFailuresPerAccount
	if ok, _ := s.limiter.Allow(ctx, "login:account:"+email, perPair*accountAttemptsFactor, s.cfg.LoginWindow); !ok {
		perPair = min(perPair, underAttackAttempts)
	}
	pairKey := loginPairKey(email, from)
	if ok, retry := s.limiter.Allow(ctx, pairKey, perPair, s.cfg.LoginWindow); !ok {
		return nil, domain.TooMany("too many failed sign-ins for this account; wait and try again", retry)
	}
	return func() { s.limiter.Reset(ctx, pairKey) }, nil
}

func loginPairKey(email, from string) string { return "login:account-ip:" + email + "\x00" + from }

// forgetLoginFailures forgets the failed sign-ins counted against an
// account whose owner has just proved themselves by a reset link: the
// account-wide count and that of the address the link was used from.
func (s *Service) forgetLoginFailures(ctx context.Context, email, from string) {
	s.limiter.Reset(ctx, "login:account:"+email)
	s.limiter.Reset(ctx, loginPairKey(email, from))
}
