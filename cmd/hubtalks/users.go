package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/jmoiron/sqlx"

	"github.com/hubtalks/hubtalks/server/accounts"
	"github.com/hubtalks/hubtalks/server/domain"
	"github.com/hubtalks/hubtalks/server/httpx"
)

func cmdUsers(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" {
		fmt.Fprint(stdout, "Usage:\n  hubtalks users create --email E --password P --role R [--name N]\n  hubtalks users set-role --email E --role R\n")
		return nil
	}
	switch args[0] {
	case "create":
		return cmdUsersCreate(ctx, args[1:], getenv, stdout, stderr)
	case "set-role":
		return cmdUsersSetRole(ctx, args[1:], getenv, stdout, stderr)
	}
	return fmt.Errorf("users: unknown command %q (create, set-role)", args[0])
}

func cmdUsersCreate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flags("users create", "Create an account (the first admin comes from here or from ADMIN_EMAIL).", stderr)
	email := fs.String("email", "", "email address (required)")
	password := fs.String("password", "", "password, at least 10 characters (required)")
	role := fs.String("role", "participant", "participant, moderator or admin")
	name := fs.String("name", "", "display name (default: the part of the email before @)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var v domain.Checker
	v.Check(accounts.ValidEmail(*email), "--email", "must be an email address")
	accounts.ValidPassword(&v, *password)
	v.Check(accounts.ValidRole(*role), "--role", "must be participant, moderator or admin")
	if err := v.Err(); err != nil {
		return flagError(err)
	}
	if *name == "" {
		for i, r := range *email {
			if r == '@' {
				*name = (*email)[:i]
				break
			}
		}
	}
	return withAccounts(ctx, getenv, func(store *accounts.Store) error {
		hash, err := accounts.HashPassword(*password)
		if err != nil {
			return err
		}
		u, err := store.CreateUser(ctx, *email, *name, hash, *role)
		return reportUser(stdout, u, err, accounts.ErrEmailTaken,
			fmt.Errorf("users create: %s is already registered (use set-role to change its role)", *email),
			"created user %d <%s> as %s\n")
	})
}

func cmdUsersSetRole(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flags("users set-role", "Change an account's role (its sessions end).", stderr)
	email := fs.String("email", "", "email address (required)")
	role := fs.String("role", "", "participant, moderator or admin (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !accounts.ValidRole(*role) {
		return fmt.Errorf("users set-role: --role must be participant, moderator or admin")
	}
	return withAccounts(ctx, getenv, func(store *accounts.Store) error {
		u, err := store.SetRoleByEmail(ctx, *email, *role)
		return reportUser(stdout, u, err, domain.ErrNotFound,
			fmt.Errorf("users set-role: no user %s", *email),
			"user %d <%s> is now %s\n")
	})
}

func flagError(err error) error {
	var p *httpx.Problem
	if errors.As(err, &p) && len(p.Errors) > 0 {
		return fmt.Errorf("%s %s", p.Errors[0].Field, p.Errors[0].Message)
	}
	return err
}

// reportUser prints the account a users command wrote, with done's format
// (id, email, role); the store's expected failure (a taken or an unknown
// email) becomes the command's own message.
func reportUser(stdout io.Writer, u accounts.User, err, expected, message error, done string) error {
	if errors.Is(err, expected) {
		return message
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, done, u.ID, u.Email, u.Role)
	return nil
}

func withAccounts(ctx context.Context, getenv func(string) string, use func(*accounts.Store) error) error {
	return withDatabase(ctx, getenv, func(_ config, db *sqlx.DB) error {
		return use(accounts.NewStore(db))
	})
}
