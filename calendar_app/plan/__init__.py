"""The plan: recurring.yaml read into a `Plan` (`reader`, through `yamlread`), the rule kinds
an obligation recurs by (`rules`), the Chinese working calendar they are placed on
(`workdays`, `yearday`), and what `validate` says of the county's choices (`choices`)."""
