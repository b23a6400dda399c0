package report

// farMessages is the text of the Freeze Asset Request sections of a
// letter, the sender's standing and the before-you-send checklist; part
// of Messages.
type farMessages struct {
	SenderRole        string
	Senders           map[Sender]string // the sender's role in a few words
	PoliceReportField string
	Urgency           string
	UrgentLeft        string // %s: amounts left, comma-separated
	UrgentLeftAsOf    string // %s: amounts left, comma-separated
	UrgentCredited    string
	FirstArrived      string // %s: UTC time
	VictimOne         string
	VictimMany        string
	AddressOne        string
	AddressMany       string
	PaymentOne        string
	PaymentMany       string
	HopOne            string
	HopMany           string
	NoTipOff          string
	// The sender's standing: StandingOrder %s: the order; StandingPrivate
	// and StandingPrivateIssuer %s: SenderIsVictim or SenderIsRepresentative,
	// %s: PoliceFiled or PoliceNone.
	StandingLawEnforcement string
	StandingOrder          string
	StandingLEExchange     string
	StandingPrivate        string
	StandingPrivateIssuer  string
	SenderIsVictim         string
	SenderIsRepresentative string
	PoliceFiled            string // %s: department and country, %s: report number
	PoliceNone             string
	Section1               string
	Section2               string
	Section3               string
	Section4               string
	Section5               string
	Section6               string
	AlreadyFrozenHeading   string
	NothingLeftHeading     string
	ColToken               string
	ColBlockTime           string
	BaseUnits              string // %s: base units
	BlockN                 string // %s: block number
	ActionHoldExch         string // %s: "address(es) 1, 2"
	ActionPreserveLE       string
	ActionPreservePrivate  string
	CrimeSummary           string
	CrimeType              string
	CrimePlatform          string
	CrimeDates             string
	DatesFromPayments      string // %s: the span of the payments' dates
	LostUSD                string
	AssetsTaken            string
	TakenLine              string // %s: amount with symbol, %s: base units, %s: chain, %s: "3 payments"
	VictimsField           string
	NotGiven               string
	NoLegalBasis           string
	LegalBasisIntro        string
	OrderHeading           string
	OrderIssuedBy          string
	OrderReference         string
	OrderDate              string
	PaymentsIntro          string
	DocumentsHeading       string
	NoDocuments            string
	ColDocument            string
	ColFile                string
	ColSHA256              string
	Bytes                  string // %d: size in bytes
	LedgerIntro            string
	FigureCaption          string
	AddressTitle           string // %s: number, %s: address
	LabeledWallet          string // %s: the exchange
	ReportedBy             string
	FullName               string
	Organisation           string
	Role                   string
	Email                  string
	Phone                  string
	Country                string
	PostalAddress          string
	PoliceHeading          string
	Department             string
	ReportID               string
	ReportDate             string
	PointOfContact         string
	NoPoliceReport         string
	VerifiedBy             string
	VerifiedOn             string
	Comments               string
	NotVerified            string
	ChecklistHeading       string
	ChecklistIntro         string
	ChecklistNone          string
	SendTitle              string // %s: recipient
	SendNoEntry            string // %s: recipient
	SendLegalName          string
	SendWhere              string
	SendVictims            string
	SendLawEnforcement     string
	SendPortal             string
	SendNotesField         string
	SendNoChannel          string
	SendAsksFor            string
	SendConstraints        string
	SendAttach             string
	SendAttachLetter       string
	SendAttachXLSX         string
	SendAttachLedger       string
	SendSources            string
	SendChecked            string // %s: date last checked, %s: the directory's origin
}

var englishFAR = farMessages{
	SenderRole:             "Sender",
	Senders:                map[Sender]string{SenderVictim: "the victim", SenderRepresentative: "a representative of the victims (not law enforcement)", SenderLawEnforcement: "law enforcement"},
	PoliceReportField:      "Police report",
	Urgency:                "Urgency",
	UrgentLeft:             "Urgent: %s of the traced funds were still at the addresses when last read.",
	UrgentCredited:         "Urgent: the traced funds were credited to your customer and can be withdrawn at any time.",
	UrgentLeftAsOf:         "Urgent: %s of the traced funds were at the addresses at the end of the trace's data; they may have moved since.",
	FirstArrived:           "The traced funds first arrived on %s.",
	VictimOne:              "victim",
	VictimMany:             "victims",
	AddressOne:             "address",
	AddressMany:            "addresses",
	PaymentOne:             "payment",
	PaymentMany:            "payments",
	HopOne:                 "hop",
	HopMany:                "hops",
	NoTipOff:               "Please do not tell the account holder about this request: it would let them move the funds.",
	StandingLawEnforcement: "This request is made by law enforcement investigating the crime, under the legal basis in section 3.",
	StandingOrder:          "This request is made by law enforcement under the order %s (section 3).",
	StandingLEExchange:     "We ask you to freeze the funds and to preserve and disclose the records of the accounts concerned to us.",
	StandingPrivate: "We write as %s; we are not law enforcement. %s " +
		"We ask you to place a temporary hold on the funds and to preserve the records of the accounts concerned until the police or a court " +
		"sends you a formal request or order. We do not ask you to disclose customer data to us.",
	StandingPrivateIssuer: "We write as %s; we are not law enforcement. %s " +
		"The police can confirm the report to you.",
	SenderIsVictim:         "the victim",
	SenderIsRepresentative: "a representative of the victims",
	PoliceFiled:            "The crime was reported to %s under report %s (section 6).",
	PoliceNone:             "No police report is given yet.",
	Section1:               "1. Freeze request",
	Section2:               "2. The crime",
	Section3:               "3. Why it is a crime",
	Section4:               "4. Evidence of the crime",
	Section5:               "5. How the funds reached the addresses",
	Section6:               "6. Requester, police report and verification",
	AlreadyFrozenHeading:   "Already frozen (listed for your records, not requested again):",
	NothingLeftHeading:     "Holding none of the traced funds any more (listed to show where the funds went):",
	ColToken:               "Token and contract",
	ColBlockTime:           "Block and time (UTC)",
	BaseUnits:              "%s base units",
	BlockN:                 "block %s",
	ActionHoldExch: "Place a temporary hold on the funds credited to your customers from %s in section 1, up to the amounts traced, " +
		"and prevent their withdrawal, pending a formal request or order from the police or a court.",
	ActionPreserveLE: "Preserve and disclose to us the records of the account holders behind these addresses: identity documents, " +
		"log-in and IP records, deposit and withdrawal history.",
	ActionPreservePrivate: "Preserve the records of the account holders behind these addresses until the police or a court asks for them; " +
		"we do not ask you to send them to us.",
	CrimeSummary:      "What happened",
	CrimeType:         "Type of crime",
	CrimePlatform:     "Scam platform",
	CrimeDates:        "Crime dates (UTC)",
	DatesFromPayments: "%s (the dates of the victims' payments)",
	LostUSD:           "Total value lost (USD at the time)",
	AssetsTaken:       "Digital assets taken",
	TakenLine:         "%s (%s base units) on %s, %s",
	VictimsField:      "Victims",
	NotGiven:          "not given",
	NoLegalBasis:      "Not given in the case file.",
	LegalBasisIntro:   "The acts described in section 2 are offences under:",
	OrderHeading:      "Order",
	OrderIssuedBy:     "Issued by",
	OrderReference:    "Reference",
	OrderDate:         "Date",
	PaymentsIntro:     "The victims' payments to the scammers, each verifiable on the chain's explorer (the links), with the block it is in:",
	DocumentsHeading:  "Documents attached",
	NoDocuments:       "None.",
	ColDocument:       "Document",
	ColFile:           "File",
	ColSHA256:         "SHA-256",
	Bytes:             "%d bytes",
	LedgerIntro: "Every allocation step is in the audit ledger (ledger.csv, enclosed): for each address, every transfer in and out in chain order, " +
		"the balance and the traced part after it. Anyone can re-trace the funds from the payments in section 4 with the same rule and thresholds:",
	FigureCaption:    "Flow of the traced funds, from the victims' payments (green) to the addresses in section 1.",
	AddressTitle:     "Address %s: %s",
	LabeledWallet:    "listed as a wallet of %s in the label lists the trace used (endpoints.csv names each list)",
	ReportedBy:       "Reported by",
	FullName:         "Full name",
	Organisation:     "Organisation",
	Role:             "Role",
	Email:            "Email",
	Phone:            "Phone",
	Country:          "Country",
	PostalAddress:    "Address",
	PoliceHeading:    "Police report",
	Department:       "Police department",
	ReportID:         "Report number",
	ReportDate:       "Date reported",
	PointOfContact:   "Point of contact",
	NoPoliceReport:   "No police report is given.",
	VerifiedBy:       "Verified by",
	VerifiedOn:       "Date of verification",
	Comments:         "Comments",
	NotVerified:      "Not verified by a third party.",
	ChecklistHeading: "Before you send",
	ChecklistIntro:   "What recipients ask for that the case file or the recipient directory does not give yet; fill it in or check it, then run the report again:",
	ChecklistNone:    "Nothing is missing from the case file.",
	SendTitle:        "Sending the letter to %s",
	SendNoEntry: "The recipient directory has no entry for %s: find where it takes law-enforcement and victims' requests on its own website, " +
		"and add an entry with freezetrace report --directory FILE.",
	SendLegalName:      "Legal name",
	SendWhere:          "Where to send it",
	SendVictims:        "Victims and their representatives",
	SendLawEnforcement: "Law enforcement",
	SendPortal:         "Portal",
	SendNotesField:     "Notes",
	SendNoChannel:      "none verified",
	SendAsksFor:        "What it asks for",
	SendConstraints:    "Limits it states",
	SendAttach:         "What to attach",
	SendAttachLetter:   "(the letter; letter.html and letter.md are the same text)",
	SendAttachXLSX:     "(the addresses, transactions and paths as a spreadsheet, which compliance teams prefer to a PDF for copying them)",
	SendAttachLedger:   "(the audit ledger, for re-tracing)",
	SendSources:        "Sources",
	SendChecked:        "Last checked %s; directory: %s.",
}
