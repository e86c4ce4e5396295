package apierr

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"testing"
)

// catalog is every entry of the catalog without an argument.
var catalog = map[string]func() *Error{
	"ER053": ER053, "ER102": ER102, "ER700": ER700, "ER701": ER701, "ER702": ER702, "ER703": ER703, "ER704": ER704,
	"ER705": ER705, "ER706": ER706, "ER707": ER707, "ER708": ER708, "ER709": ER709, "ER800": ER800, "ER801": ER801,
	"ER802": ER802, "ER803": ER803, "ER805": ER805, "ER806": ER806, "ER999": ER999,
	"MissingLinkedIdentity": MissingLinkedIdentity, "TokenMissing": TokenMissing, "TokenExpired": TokenExpired,
	"TokenInvalid": TokenInvalid, "TokenUserGone": TokenUserGone, "IdentityProviderNotFound": IdentityProviderNotFound,
	"FederatedIdentityNotFound": FederatedIdentityNotFound, "JSONAPIInternal": JSONAPIInternal,
	"InvalidPartnerFlow": InvalidPartnerFlow, "UserNotFound": UserNotFound, "ExternalUserIDConflict": ExternalUserIDConflict,
	"RouteNotFound": RouteNotFound, "MethodNotAllowed": MethodNotAllowed, "InvalidVerificationType": InvalidVerificationType,
}

// TestCatalogCannotBeChanged: what one caller does to an error it got
// changes nothing another caller gets.
func TestCatalogCannotBeChanged(t *testing.T) {
	for name, entry := range catalog {
		want := *entry()
		want.Details = append([]Detail(nil), want.Details...)
		got := entry()
		got.Status, got.Code, got.Message, got.Solution, got.Title, got.Parameter = 0, "x", "x", "x", "x", "x"
		if len(got.Details) > 0 {
			got.Details[0].Issue = "x"
		}
		if again := entry(); !reflect.DeepEqual(*again, want) {
			t.Errorf("%s: changed by a caller: %+v, want %+v", name, *again, want)
		}
	}
}

// TestNoExportedVariables: the package exports no variable at all, so no
// *Error can be swapped or edited in place.
func TestNoExportedVariables(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil || len(files) == 0 {
		t.Fatal(files, err)
	}
	fset := token.NewFileSet()
	for _, fn := range files {
		f, err := parser.ParseFile(fset, fn, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		if f.Name.Name != "apierr" {
			continue
		}
		for _, d := range f.Decls {
			if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.VAR {
				for _, s := range g.Specs {
					for _, n := range s.(*ast.ValueSpec).Names {
						if n.IsExported() {
							t.Errorf("%s: exported variable %s", fset.Position(n.Pos()), n.Name)
						}
					}
				}
			}
		}
	}
}

func TestTranslate(t *testing.T) {
	errA, errB := errors.New("a"), errors.New("b")
	answers := []Answer{{Outcome: errA, Answer: UserNotFound}, {Outcome: errB, Answer: ER709}}
	if Translate(nil, answers...) != nil {
		t.Fatal("nil is no error")
	}
	if e, ok := Translate(fmt.Errorf("wrapped: %w", errB), answers...).(*Error); !ok || e.Code != "ER709" {
		t.Fatalf("a wrapped outcome: %v", e)
	}
	if e, ok := Translate(errA, answers...).(*Error); !ok || e.Code != codeNotFound {
		t.Fatalf("the first outcome: %v", e)
	}
	other := errors.New("fault")
	if got := Translate(other, answers...); got != other {
		t.Fatalf("an error without an answer is itself: %v", got)
	}
}

func TestCauseIsUnwrappedNeverShown(t *testing.T) {
	cause := errors.New("secret internal detail")
	e := Internal(MsgInternal).WithCause(cause)
	if !errors.Is(e, cause) || e.Unwrap() != cause {
		t.Fatal("the cause is not reachable")
	}
	if e.Error() != codeInternal+": "+MsgInternal {
		t.Fatalf("Error() shows %q", e.Error())
	}
	if Internal(MsgInternal).Cause != nil {
		t.Fatal("WithCause changed the catalog")
	}
}
