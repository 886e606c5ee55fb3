"""scapy's own snippets run twice, with scapy (the expected outcome) and with rawnet (the actual)."""
