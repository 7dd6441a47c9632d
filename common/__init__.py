"""dsfix.common: small leaves every layer may import (they import nothing of dsfix's)."""
