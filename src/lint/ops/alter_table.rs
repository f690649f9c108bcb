//! `ALTER TABLE ...`: the table and each of its actions.

use super::create::type_text;
use super::{Action, ConstraintKind, Name, Op, ident_text, split_commas, word};
use crate::sql::{TokenKind, Walk};

pub(super) fn alter_table(w: &mut Walk<'_>) -> Op {
    w.eat_all(&["IF", "EXISTS"]);
    w.eat("ONLY");
    let Some(table) = w.qualified().map(Name::from) else {
        return Op::Other;
    };
    w.eat_symbol("*");
    let toks = w.tokens();
    let start = toks.len() - w.remaining();
    let actions = split_commas(&toks[start..])
        .into_iter()
        .map(action)
        .collect();
    Op::AlterTable { table, actions }
}

fn action(t: &[(TokenKind, &str)]) -> Action {
    let at = |i: usize, w: &str| t.get(i).is_some_and(|x| word(x, w));
    if at(0, "ADD") {
        let mut i = 1;
        if at(i, "CONSTRAINT") {
            let name = t.get(i + 1).map(ident_text);
            return constraint(&t[i + 2..], name);
        }
        if ["PRIMARY", "UNIQUE", "CHECK", "FOREIGN", "EXCLUDE"]
            .iter()
            .any(|k| at(i, k))
        {
            return constraint(&t[i..], None);
        }
        if at(i, "COLUMN") {
            i += 1;
        }
        let if_not_exists = at(i, "IF") && at(i + 1, "NOT") && at(i + 2, "EXISTS");
        if if_not_exists {
            i += 3;
        }
        let Some(col) = t.get(i) else {
            return Action::Other;
        };
        let rest = t[i + 1..]
            .iter()
            .map(|x| x.1.to_ascii_uppercase())
            .collect();
        return Action::AddColumn {
            column: ident_text(col),
            column_type: type_text(&t[i + 1..]),
            rest,
            if_not_exists,
        };
    }
    if at(0, "ALTER") {
        let mut i = 1;
        if at(i, "COLUMN") {
            i += 1;
        }
        let Some(col) = t.get(i).map(ident_text) else {
            return Action::Other;
        };
        let j = i + 1;
        if at(j, "SET") && at(j + 1, "NOT") && at(j + 2, "NULL") {
            return Action::SetNotNull(col);
        }
        if at(j, "DROP") && at(j + 1, "NOT") && at(j + 2, "NULL") {
            return Action::DropNotNull(col);
        }
        let ty = if at(j, "TYPE") {
            Some(j + 1)
        } else if at(j, "SET") && at(j + 1, "DATA") && at(j + 2, "TYPE") {
            Some(j + 3)
        } else {
            None
        };
        if let Some(k) = ty {
            return Action::AlterType {
                column: col,
                new_type: type_text(&t[k..]),
            };
        }
        return Action::Other;
    }
    if at(0, "VALIDATE") && at(1, "CONSTRAINT") {
        return t
            .get(2)
            .map_or(Action::Other, |n| Action::ValidateConstraint(ident_text(n)));
    }
    if at(0, "DROP") {
        if at(1, "CONSTRAINT") {
            let k = if at(2, "IF") { 4 } else { 2 };
            return t
                .get(k)
                .map_or(Action::Other, |n| Action::DropConstraint(ident_text(n)));
        }
        let mut k = 1;
        if at(k, "COLUMN") {
            k += 1;
        }
        if at(k, "IF") && at(k + 1, "EXISTS") {
            k += 2;
        }
        return t
            .get(k)
            .map_or(Action::Other, |n| Action::DropColumn(ident_text(n)));
    }
    // Renaming a constraint breaks no query; renaming the table or a column does.
    if at(0, "RENAME") && !at(1, "CONSTRAINT") {
        let name = |i: usize| t.get(i).map(ident_text).unwrap_or_default();
        if at(1, "TO") {
            return Action::RenameTable(name(2));
        }
        let from = if at(1, "COLUMN") { 2 } else { 1 };
        return Action::RenameColumn(name(from), name(from + 2));
    }
    if at(0, "SET") && (at(1, "LOGGED") || at(1, "UNLOGGED")) {
        return Action::SetLogged;
    }
    Action::Other
}

fn constraint(t: &[(TokenKind, &str)], name: Option<String>) -> Action {
    let at = |i: usize, w: &str| t.get(i).is_some_and(|x| word(x, w));
    let kind = if at(0, "FOREIGN") {
        ConstraintKind::ForeignKey
    } else if at(0, "CHECK") {
        // `CHECK (col IS NOT NULL)`: the proof that lets SET NOT NULL skip its scan.
        let inner: Vec<&(TokenKind, &str)> = t
            .iter()
            .skip_while(|x| x.1 != "(")
            .skip(1)
            .take_while(|x| x.1 != ")")
            .collect();
        let proves = (inner.len() == 4
            && word(inner[1], "IS")
            && word(inner[2], "NOT")
            && word(inner[3], "NULL"))
        .then(|| ident_text(inner[0]));
        ConstraintKind::Check(proves)
    } else if at(0, "UNIQUE") {
        ConstraintKind::Unique
    } else if at(0, "PRIMARY") {
        ConstraintKind::PrimaryKey
    } else {
        ConstraintKind::Exclude
    };
    Action::AddConstraint {
        name,
        kind,
        not_valid: t
            .windows(2)
            .any(|p| word(&p[0], "NOT") && word(&p[1], "VALID")),
        // `USING INDEX TABLESPACE` only places a new index; `USING INDEX name` adopts one.
        using_index: t
            .windows(3)
            .any(|p| word(&p[0], "USING") && word(&p[1], "INDEX") && !word(&p[2], "TABLESPACE")),
    }
}
