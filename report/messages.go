package report

import (
	"sort"
	"time"

	"freezetrace/chains"
	"freezetrace/trace"
)

// Messages is every piece of text a letter or overview shows, for one
// language. Values with verbs are fmt formats; their arguments are listed
// next to each field. Adding a language means adding one Messages value to
// catalogue; the layout measures text and never assumes English lengths.
type Messages struct {
	farMessages
	LetterTitleExchange string // "Request to freeze …"; %s: recipient
	LetterTitleIssuer   string // %s: recipient
	To                  string
	Date                string
	OurReference        string
	From                string
	Contact             string
	LegalBasis          string
	IntroExchange       string // %d: victims, %s: recipient
	IntroIssuer         string // %d: victims, %s: recipient
	RequestedHeading    string
	ActionFreezeExch    string
	ActionFreezeIssuer  string
	TotalHeading        string
	TotalLine           string // %s: display amount with symbol, %s: base units, %s: chain
	AddressesHeading    string
	ColNumber           string
	ColChain            string
	ColAddress          string
	ColTraced           string
	ColTx               string
	ColTime             string
	ColHop              string
	ColTransfer         string
	ColMoved            string
	ColFromVictim       string
	ColVictim           string
	ColPoliceReport     string
	ColPayment          string
	ColAmount           string
	ColRecipient        string
	ColKind             string
	ColReason           string
	ColLetter           string
	ColSource           string
	ColBlock            string
	ColRetrieved        string
	ColDetail           string
	DepositTxs          string // %s: address
	SweepTxs            string // %s: address, %s: entity
	Attribution         string // %s: reason
	PathsHeading        string
	PathsIntro          string
	PathTitle           string // %s: path id, %s: source id, %s: victim, %d: address number
	PathTruncated       string // %d: paths shown
	From1               string // %s: address
	To1                 string // %s: address
	VictimPayment       string
	MethodHeading       string
	RuleLine            string // %s: rule
	Thresholds          string
	MaxHops             string // %d
	MinAmount           string // %s: base units
	MinAmountSwaps      string // %s: base units, %s: the victims' asset's symbol
	Until               string // %s: UTC time
	NoUntil             string
	MaxDegree           string // %d
	ProvenanceHeading   string
	EvidenceHeading     string
	EvidenceIntro       string
	Closing             string // %s: contact
	Signature           string
	Generated           string // %s: UTC time
	FingerprintHeading  string
	FingerprintText     string // %s: markdown file name
	FingerprintLine     string // %s: hex digest
	Unknown             string
	OverviewTitle       string // %s: case reference
	OverviewIntro       string
	PaymentsHeading     string
	RecipientsHeading   string
	RecipientsIntro     string
	NoRecipients        string
	OtherHeading        string
	OtherIntro          string
	KindExchange        string
	KindIssuer          string
	Rules               map[trace.Rule]string
	Kinds               map[trace.Kind]string
	Note                string
	TimeUnknown         string // a time the data did not give (no block time)
	WarningsHeading     string
	WarningsIntro       string
	WarningAddresses    string            // %s: addresses, comma-separated
	WarningCodes        map[string]string // trace warning code → short title
	OwnWalletsHeading   string
	OwnWalletLine       string // %s: the exchange's wallet
	ActionIdentifyExch  string // %s: OwnWalletsHeading
	ActionIdentifyHold  string // %s: OwnWalletsHeading
	TotalSplit          string // %s: amount to deposit addresses, %s: amount to the exchange's own wallets
	// Where the funds at a freeze target stand (trace.Holding).
	ColBalance           string
	ColStanding          string
	States               map[trace.State]string // a freeze target's state in a few words, for tables
	StateNotRead         string                 // a freeze target with no holding, for tables
	HoldsLive            string                 // %s: balance with symbol, %s: traced (display units), %d: block, %s: block time
	EmptyLive            string                 // as HoldsLive
	HoldsAsOf            string                 // as HoldsLive
	EmptyAsOf            string                 // as HoldsLive
	BalanceUnknown       string                 // %d: block, %s: block time
	HoldingNotRead       string
	FrozenTx             string // %s: issuer, %s: tx, %s: time, %d: the tx's block
	FrozenNoTx           string // %s: issuer, %d: block the status was read at
	FreezeDetail         string // %s: the source's note
	Destroyed            string // %s: issuer, %s: amount with symbol
	NotFrozen            string // %s: issuer, %d: block
	FreezeNotRead        string // %s: issuer
	FreezeNotReadWarning string // %s: issuer
	LastOut              string // %s: time, %s: amount with symbol, %s: address, %s: tx
	NoLastOut            string // %d: block
	OnwardHeading        string
	OnwardLine           string // %s: amount with symbol, %s: address, %s: tx, %s: time
	OnwardEndpoint       string // %s: the endpoint's kind and entity
	SweepTo              string // %s: the exchange
	DepositMoved         string
	StampLive            string // %s: time read (UTC), %d: block
	StampAsOf            string // %d: block, %s: block time
	StampChain           string // %s: chain, %s: StampLive or StampAsOf
	StandingLine         string // %s: Standing… items, comma-separated
	StandingLeft         string // %s: amount with symbol
	StandingFrozen       string // %s: amount with symbol
	StandingMoved        string // %s: amount with symbol
	StandingUnknown      string // %s: amount with symbol
	HoldingsNotRead      string // the message of a WarnHoldingsNotRead warning
	ActionAlreadyFrozen  string // %s: address numbers, comma-separated
	ActionNothingLeft    string // %s: address numbers, comma-separated
	StopReason           string // %s: why the trace stopped at a held address
	// Swaps and wraps (trace.Conversion) and endpoints in other assets.
	ConversionLabel    string // %d: the conversion's number in the trace
	ConversionRule     string
	ConversionLine     string // %s: time, %s: address, %s: sent, %s: tainted sent, %s: received, %s: venue contracts, %s: tx; %s, %s, %s: received, tainted sent and sent in base units, %s: share in base units, %s: share with symbol
	ConversionRecorded string // %s: base units, %s: amount with symbol
	ConversionEvidence string // %s: the venue events (EventLine), semicolon-separated
	EventLine          string // %s: event kind, %s: contract, %d: log position
	EventKinds         map[chains.EventKind]string
	WorthLine          string // %s: value in the victims' asset, with symbol
	WorthShort         string // %s: value in the victims' asset, with symbol (graph nodes)
	TracedWorth        string // %s: amount traced with symbol; WorthLine follows in brackets
	SwapEdge           string // %s: ConversionLabel, %s: sent symbol, %s: received symbols
	BridgedTo          string // %s: destination chain, %s: recipient, %s: txs
	BridgedToChain     string // %s: destination chain, %s: txs
	BridgedToRecipient string // %s: recipient, %s: txs
	AssetsHeading      string
	AssetsIntro        string
	ColAsset           string
	ColWorth           string
	VictimAssetItself  string
	VictimAssetTotal   string // %s: total with symbol, %s: chain
	VictimAssetSplit   string // %s: at endpoints in that asset, %s: worth of the endpoints in other assets
	ConversionsHeading string
	ColVenue           string
	ColSent            string
	ColReceived        string
	ColRate            string
	TaintedPart        string // %s: amount with symbol
	RateLine           string // %s: sent symbol, %s: rate, %s: received symbol
	// NoLetter says why a recipient gets no letter, by Recipient.NoLetter:
	// NoLetterFrozen and NoLetterEmpty take %d addresses,
	// NoLetterFrozenOrEmpty %d frozen and %d empty.
	NoLetter map[string]string
}

var catalogue = map[string]*Messages{"en": &english}

// Languages lists the languages letters can be written in.
func Languages() []string {
	out := make([]string, 0, len(catalogue))
	for k := range catalogue {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var english = Messages{
	farMessages:         englishFAR,
	LetterTitleExchange: "Freeze Asset Request: %s",
	LetterTitleIssuer:   "Request to freeze (blacklist) token addresses: %s",
	To:                  "To",
	Date:                "Date",
	OurReference:        "Our reference",
	From:                "From",
	Contact:             "Contact",
	LegalBasis:          "Legal basis",
	IntroExchange: "We write about an investment fraud against %s. The payments were traced on the blockchain, transfer by transfer, " +
		"to the addresses in section 1, which we attribute to %s.",
	IntroIssuer: "We write about an investment fraud against %s. The payments were traced on the blockchain, transfer by transfer, " +
		"to the addresses in section 1, which hold tokens issued by %s. We ask you to freeze them on the token contract so that the tokens cannot be moved.",
	RequestedHeading:   "What we ask:",
	ActionFreezeExch:   "Freeze the funds credited to your customers from %s in section 1, up to the amounts traced, and prevent their withdrawal.",
	ActionFreezeIssuer: "Freeze (blacklist) %s in section 1 on the token contract %s, so that the tokens they hold cannot be moved.",
	TotalHeading:       "Total traced to you:",
	TotalLine:          "%s (%s base units) on %s",
	AddressesHeading:   "Addresses",
	ColNumber:          "#",
	ColChain:           "Chain",
	ColAddress:         "Address",
	ColTraced:          "Traced",
	ColTx:              "Transaction",
	ColTime:            "Time (UTC)",
	ColHop:             "Hop",
	ColTransfer:        "Transfer",
	ColMoved:           "Amount moved",
	ColFromVictim:      "Traced from this payment",
	ColVictim:          "Victim",
	ColPoliceReport:    "Police report",
	ColPayment:         "Payment",
	ColAmount:          "Amount",
	ColRecipient:       "Recipient",
	ColKind:            "Kind",
	ColReason:          "Why the trace stopped",
	ColLetter:          "Letter",
	ColSource:          "Source",
	ColBlock:           "Block",
	ColRetrieved:       "Retrieved (UTC)",
	ColDetail:          "Detail",
	DepositTxs:         "Transfers that brought traced funds into address %s:",
	SweepTxs:           "Sweep transactions from %s into %s's own wallet (evidence that it is a deposit address):",
	Attribution:        "Attribution: %s",
	PathsHeading:       "Every path from a victim payment",
	PathsIntro:         "Each path starts with a victim's payment and follows the traced funds through every transfer to the address. Amounts are shown in display units; the evidence files give base units.",
	PathTitle:          "Path %s: payment %s by %s to address %d, %s",
	PathTruncated:      "Only the first %d paths are shown; the evidence files list every traced transfer.",
	From1:              "from %s",
	To1:                "to %s",
	VictimPayment:      "victim payment",
	MethodHeading:      "Tracing method",
	RuleLine:           "Allocation rule: %s.",
	Thresholds:         "Thresholds",
	MaxHops:            "Maximum hops: %d",
	MinAmount:          "Smallest amount followed: %s base units",
	MinAmountSwaps:     "Smallest amount followed: %s base units of %s, the victims' asset; taint in other assets by its worth in it at the trace's conversion rates",
	Until:              "Transfers followed until: %s",
	NoUntil:            "Transfers followed until: no time limit",
	MaxDegree:          "Addresses with more than %d counterparties are treated as services and not followed",
	ProvenanceHeading:  "Data provenance",
	EvidenceHeading:    "Enclosed evidence",
	EvidenceIntro:      "The following files accompany this letter; MANIFEST.sha256 lists the SHA-256 of each.",
	Closing:            "Please confirm receipt of this request and tell us what action you have taken, at %s.",
	Signature:          "Yours faithfully,",
	Generated:          "Generated by freezetrace on %s.",
	FingerprintHeading: "Fingerprint",
	FingerprintText:    "The SHA-256 below is computed over the UTF-8 bytes of the Markdown version of this letter (%s), every line except its last, which states the digest. Check it with: sed '$d' FILE | sha256sum",
	FingerprintLine:    "SHA-256 of the text above this line: %s",
	Unknown:            "not named",
	OverviewTitle:      "Case %s: where the money went",
	OverviewIntro:      "This overview follows each victim payment to where the funds ended. For each exchange or stablecoin issuer that can still act on them there is a letter ready to send, with its evidence.",
	PaymentsHeading:    "Victim payments",
	RecipientsHeading:  "Who can freeze the funds",
	RecipientsIntro:    "One letter per recipient, in Markdown, HTML and PDF. A recipient with nothing left to ask for gets no letter; the table says why.",
	NoRecipients:       "No traced funds reached an exchange, and none are held in a stablecoin an issuer can freeze.",
	OtherHeading:       "Where the rest went",
	OtherIntro:         "These endpoints cannot be frozen by any recipient above; each says why the trace stopped there.",
	KindExchange:       "exchange",
	KindIssuer:         "stablecoin issuer",
	Note:               "Note",
	TimeUnknown:        "time unknown",
	WarningsHeading:    "Warnings / limits of this trace",
	WarningsIntro:      "The trace could not establish everything below; please read the rest of this document with these limits in mind.",
	WarningAddresses:   "Addresses concerned: %s.",
	WarningCodes: map[string]string{
		trace.WarnNoBlockTimes:       "Block times missing",
		trace.WarnNoDepositDetection: "Deposit addresses not checked",
		trace.WarnHotWallet:          "Exchange wallet reached directly",
		WarnHoldingsNotRead:          "Balances and freeze status were not read",
		WarnHoldingIncomplete:        "Balance or freeze status incomplete",
	},
	OwnWalletsHeading: "Funds received directly in your own wallets",
	OwnWalletLine: "The customer deposit address was not identified: the funds reached your wallet %s directly, in the transactions below; " +
		"please identify the account they credited.",
	ActionIdentifyExch: "Identify the customer accounts credited by the transactions listed under \"%s\" and freeze the funds credited to them, up to the amounts traced.",
	ActionIdentifyHold: "Identify the customer accounts credited by the transactions listed under \"%s\" and place a temporary hold on the funds credited to them, " +
		"up to the amounts traced, pending a formal request or order from the police or a court.",
	TotalSplit:  "of which %s to identified deposit addresses and %s directly to your own wallets",
	ColBalance:  "Balance",
	ColStanding: "Where it stands",
	States: map[trace.State]string{
		trace.StateFrozen:  "already frozen",
		trace.StateEmpty:   "moved on",
		trace.StatePartial: "partly moved on",
		trace.StateHolds:   "not moved",
		trace.StateUnknown: "not known",
	},
	StateNotRead:         "not read",
	HoldsLive:            "Holds %s (of %s traced) at block %d, %s.",
	EmptyLive:            "Holds none of it: %s (of %s traced) at block %d, %s.",
	HoldsAsOf:            "Held %s (of %s traced) as of the end of the data, block %d (%s); not checked against a live source since.",
	EmptyAsOf:            "Held none of it: %s (of %s traced) as of the end of the data, block %d (%s); not checked against a live source since.",
	BalanceUnknown:       "Balance at block %d (%s) not known; see the warnings. The request stands until it is checked.",
	HoldingNotRead:       "Balance and freeze status not read: the amount traced is what reached the address by the end of the trace's data; it may have moved or been frozen since.",
	FrozenTx:             "Already frozen by %s in transaction %s at %s (block %d); not requested again.",
	FrozenNoTx:           "Already frozen by %s (as read at block %d; the freezing transaction is not known); not requested again.",
	FreezeDetail:         "Detail: %s.",
	Destroyed:            "%s has also destroyed %s of its balance.",
	NotFrozen:            "Not frozen by %s at block %d.",
	FreezeNotRead:        "Whether %s has frozen it was not read.",
	FreezeNotReadWarning: "%s freeze status not read",
	LastOut:              "Last outgoing transfer: %s, %s to %s in transaction %s.",
	NoLastOut:            "No outgoing transfer known since the traced funds arrived, up to block %d.",
	OnwardHeading:        "Moved on after the end of the trace's data:",
	OnwardLine:           "%s to %s in transaction %s at %s",
	OnwardEndpoint:       "an endpoint of this trace: %s",
	SweepTo:              "a sweep into %s's own wallet, listed below",
	DepositMoved: "A deposit address passes what it receives on to your own wallets, so its balance does not show what was credited to your customer; " +
		"this request concerns the account credited.",
	StampLive:       "Balances and freeze status read at %s (block %d).",
	StampAsOf:       "Balances and freeze status as of the end of the data, block %d (%s): no live source was read, so they may have changed since.",
	StampChain:      "%s: %s",
	StandingLine:    "where it stands: %s",
	StandingLeft:    "%s left at the addresses",
	StandingFrozen:  "%s at addresses already frozen",
	StandingMoved:   "%s moved on",
	StandingUnknown: "%s not known",
	HoldingsNotRead: "the trace file records none for these addresses, so the amounts shown are what reached them by the end of the trace's data; " +
		"the funds may have moved or been frozen since (freezetrace report --refresh reads them)",
	ActionAlreadyFrozen: "Already frozen by the issuer, listed for your records and not requested again: %s.",
	ActionNothingLeft:   "Holding none of the traced funds any more, listed to show where the funds went: %s.",
	StopReason:          "Why the trace stopped here: %s",
	ConversionLabel:     "swap C%d",
	ConversionRule: "Where traced funds were swapped into another asset, the taint converts at the swap's own rate: for each victim payment, " +
		"tainted received = floor(received × tainted sent / sent), in base units, rounded down. The venue's events in the transaction are the evidence of the swap.",
	ConversionLine: "On %s, address %s swapped %s (%s tainted from this payment) for %s at %s in transaction %s; " +
		"tainted share floor(%s × %s / %s) = %s base units = %s.",
	ConversionRecorded: "The trace records %s base units (%s) for this share.",
	ConversionEvidence: "Evidence: %s.",
	EventLine:          "%s event of contract %s (log %d)",
	EventKinds: map[chains.EventKind]string{
		chains.EventUniswapV2Swap: "Uniswap V2 swap",
		chains.EventUniswapV3Swap: "Uniswap V3 swap",
		chains.EventCurveExchange: "Curve exchange",
		chains.EventBalancerSwap:  "Balancer swap",
		chains.EventZeroExFill:    "0x fill",
		chains.EventOneInchSwap:   "1inch swap",
		chains.EventSunSwapV1:     "SunSwap V1 swap",
		chains.EventWrap:          "wrap",
		chains.EventUnwrap:        "unwrap",
		chains.EventBridgeDeposit: "bridge deposit",
	},
	WorthLine:          "worth %s of the victims' funds at the trace's conversion rates",
	WorthShort:         "worth %s",
	TracedWorth:        "Traced to this address: %s",
	SwapEdge:           "%s: %s → %s",
	BridgedTo:          "Bridged to chain %s, recipient %s, per the bridge's deposit event in transaction %s.",
	BridgedToChain:     "Bridged to chain %s (recipient not named), per the bridge's deposit event in transaction %s.",
	BridgedToRecipient: "Bridged to recipient %s (destination chain not named), per the bridge's deposit event in transaction %s.",
	AssetsHeading:      "Traced funds by asset",
	AssetsIntro: "The traced funds reached their endpoints in more than one asset: some were swapped. Each asset's total is shown in that asset, " +
		"with what it stands for in the victims' asset at the rates of the swaps that made it.",
	ColAsset:           "Asset",
	ColWorth:           "Worth in the victims' asset",
	VictimAssetItself:  "the victims' asset",
	VictimAssetTotal:   "Total in the victims' asset: %s on %s",
	VictimAssetSplit:   "(%s reached endpoints in that asset; %s is the worth of endpoints in other assets, which rests on the conversion rates of the swaps below).",
	ConversionsHeading: "Swaps the traced funds went through",
	ColVenue:           "Venue",
	ColSent:            "Sent",
	ColReceived:        "Received",
	ColRate:            "Rate",
	TaintedPart:        "of which %s tainted",
	RateLine:           "1 %s = %s %s",
	NoLetter: map[string]string{
		NoLetterFrozen:        "No letter: every address (%d) is already frozen.",
		NoLetterEmpty:         "No letter: no address (of %d) holds any of the traced funds any more.",
		NoLetterFrozenOrEmpty: "No letter: nothing left to ask for; address(es) already frozen: %d, holding none of the traced funds: %d.",
	},
	Rules: map[trace.Rule]string{
		trace.FIFO:    "FIFO (first in, first out): each payment out of an address is taken from the oldest funds that came in, as in Clayton's case",
		trace.LIFO:    "LIFO (last in, first out): each payment out of an address is taken from the newest funds that came in",
		trace.Haircut: "haircut: each payment out of an address carries the same share of traced funds as the address held at that moment",
		trace.Poison:  "poison: any payment out of an address that holds traced funds is treated as traced in full; an upper bound for screening",
		trace.LIBR:    "lowest intermediate balance: the holder is taken to spend their own funds first, and traced funds once spent never come back",
	},
	Kinds: map[trace.Kind]string{
		trace.KindExchange:     "exchange",
		trace.KindHeld:         "held",
		trace.KindMixer:        "mixer",
		trace.KindBridge:       "bridge",
		trace.KindSanctioned:   "sanctioned",
		trace.KindContract:     "contract",
		trace.KindHopLimit:     "hop limit",
		trace.KindDust:         "dust",
		trace.KindHorizon:      "time horizon",
		trace.KindHighActivity: "high activity",
		trace.KindUnknown:      "unknown funds",
		// A custodial instant swap service.
		trace.KindInstantExchanger: "instant exchanger",
	},
}

// when shows t as letters show times ("2024-03-01 10:22:11 UTC"), or
// TimeUnknown for the zero time: a block time the data did not give.
func (m *Messages) when(t time.Time) string {
	if t.IsZero() {
		return m.TimeUnknown
	}
	return utc(t)
}

// day shows the date of t ("2024-03-01"), or TimeUnknown for the zero time.
func (m *Messages) day(t time.Time) string {
	if t.IsZero() {
		return m.TimeUnknown
	}
	return t.UTC().Format("2006-01-02")
}
