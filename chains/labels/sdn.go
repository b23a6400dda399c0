package labels

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"freezetrace/chains"
)

const digitalCurrencyPrefix = "Digital Currency Address - "

// ParseSDNXML reads OFAC's SDN list in the official advanced XML form
// (SDN_ADVANCED.XML). Every Feature of a type named "Digital Currency
// Address - XXX" gives a sanctioned label for its address, with the
// party's primary name as Entity, the list's date of issue as Date and the
// party's FixedRef in Note. Assets are mapped as in ParseOFACList; the
// addresses of chains freezetrace does not trace are counted as skipped.
// A leading byte-order mark is ignored; a name, FixedRef or address over
// its limit (MaxEntity, MaxWord, MaxAddress) makes the address a bad entry.
func ParseSDNXML(r io.Reader, name string, opts Options) (Result, error) {
	res := Result{File: name}
	if err := opts.check(); err != nil {
		return res, err
	}
	doc, err := decodeSDN(skipBOM(r), name)
	if err != nil {
		return res, err
	}
	source := OFACSource
	if opts.Source != "" {
		source = opts.Source
	}
	date := doc.date
	if date == "" {
		date = opts.Date
	}
	for _, fp := range doc.parties {
		for _, a := range fp.party.addresses(doc.featureTypes) {
			res.Read++
			chain, asset, ok := ofacChain(a.code, a.raw)
			if !ok {
				res.skip(a.code)
				continue
			}
			if err := checkLen("SDN FixedRef", fp.party.FixedRef, MaxWord); err != nil {
				if err := res.bad(opts, fp.line, err); err != nil {
					return res, err
				}
				continue
			}
			addr, err := parseAddress(chain, a.raw)
			if err != nil {
				if err := res.bad(opts, fp.line, fmt.Errorf("SDN %s %w", fp.party.FixedRef, err)); err != nil {
					return res, err
				}
				continue
			}
			l := chains.Label{
				Chain:      chain,
				Address:    addr,
				Entity:     fp.name,
				Category:   chains.CategorySanctioned,
				Asset:      asset,
				Source:     source,
				Date:       date,
				Note:       fileNote(name) + "; SDN FixedRef " + fp.party.FixedRef + "; " + digitalCurrencyPrefix + a.code,
				Confidence: ofacConfidence,
			}
			if err := checkLabel(l); err != nil {
				if err := res.bad(opts, fp.line, fmt.Errorf("SDN %s %w", fp.party.FixedRef, err)); err != nil {
					return res, err
				}
				continue
			}
			res.Labels = append(res.Labels, l)
		}
	}
	return res, nil
}

// sdnDoc is what the labels need of an SDN advanced XML file.
type sdnDoc struct {
	date         string            // the list's date of issue, or ""
	featureTypes map[string]string // digital-currency FeatureType ID → asset code
	parties      []sdnFound
}

// sdnFound is a DistinctParty, the line it starts on and its primary name.
type sdnFound struct {
	line  int
	party sdnParty
	name  string
}

// decodeSDN reads the elements of an SDN advanced XML file that the labels
// need. A malformed file is an input error naming the file and line.
func decodeSDN(r io.Reader, name string) (*sdnDoc, error) {
	doc := &sdnDoc{featureTypes: map[string]string{}}
	dec := xml.NewDecoder(r)
	sawRoot := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line, _ := dec.InputPos()
			return nil, chains.Invalid(fmt.Errorf("%s:%d: %s", name, line, errText(err)))
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		sawRoot = true
		if err := doc.add(dec, &se); err != nil {
			line, _ := dec.InputPos()
			return nil, chains.Invalid(fmt.Errorf("%s:%d: %s", name, line, errText(fmt.Errorf("%s: %w", se.Name.Local, err))))
		}
	}
	if !sawRoot {
		return nil, chains.Invalid(fmt.Errorf("%s: empty file, want the SDN advanced XML", name))
	}
	return doc, nil
}

// add decodes se into doc when it is a DateOfIssue, a FeatureType or a
// DistinctParty; other elements are left to the token loop of decodeSDN.
func (doc *sdnDoc) add(dec *xml.Decoder, se *xml.StartElement) error {
	switch se.Name.Local {
	case "DateOfIssue":
		var d struct {
			Year  int `xml:"Year"`
			Month int `xml:"Month"`
			Day   int `xml:"Day"`
		}
		if err := dec.DecodeElement(&d, se); err != nil {
			return err
		}
		if d.Year > 0 {
			doc.date = fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
		}
	case "FeatureType":
		var ft struct {
			ID   string `xml:"ID,attr"`
			Text string `xml:",chardata"`
		}
		if err := dec.DecodeElement(&ft, se); err != nil {
			return err
		}
		if code, ok := strings.CutPrefix(strings.TrimSpace(ft.Text), digitalCurrencyPrefix); ok {
			doc.featureTypes[ft.ID] = strings.ToUpper(strings.TrimSpace(code))
		}
	case "DistinctParty":
		line, _ := dec.InputPos()
		var p sdnParty
		if err := dec.DecodeElement(&p, se); err != nil {
			return err
		}
		doc.parties = append(doc.parties, sdnFound{line: line, party: p, name: p.primaryName()})
	}
	return nil
}

// sdnAddress is a digital-currency address of a party as the list writes
// it, with the asset code of its feature type.
type sdnAddress struct {
	code, raw string
}

// addresses lists the party's digital-currency addresses in document
// order: the details of its features whose type is in featureTypes.
func (p sdnParty) addresses(featureTypes map[string]string) []sdnAddress {
	var out []sdnAddress
	for _, pr := range p.Profiles {
		for _, ft := range pr.Features {
			code, ok := featureTypes[ft.TypeID]
			if !ok {
				continue
			}
			for _, v := range ft.Versions {
				for _, d := range v.Details {
					out = append(out, sdnAddress{code: code, raw: strings.TrimSpace(d)})
				}
			}
		}
	}
	return out
}

// sdnParty is the part of a DistinctParty the labels need.
type sdnParty struct {
	FixedRef string `xml:"FixedRef,attr"`
	Profiles []struct {
		Identities []struct {
			Aliases []struct {
				Primary string `xml:"Primary,attr"`
				Names   []struct {
					Parts []struct {
						Values []string `xml:"NamePartValue"`
					} `xml:"DocumentedNamePart"`
				} `xml:"DocumentedName"`
			} `xml:"Alias"`
		} `xml:"Identity"`
		Features []struct {
			TypeID   string `xml:"FeatureTypeID,attr"`
			Versions []struct {
				Details []string `xml:"VersionDetail"`
			} `xml:"FeatureVersion"`
		} `xml:"Feature"`
	} `xml:"Profile"`
}

// primaryName joins the name parts of the party's primary alias (the first
// alias when none is marked primary).
func (p sdnParty) primaryName() string {
	var first string
	for _, pr := range p.Profiles {
		for _, id := range pr.Identities {
			for _, a := range id.Aliases {
				var parts []string
				for _, n := range a.Names {
					for _, np := range n.Parts {
						parts = append(parts, np.Values...)
					}
					if len(parts) > 0 {
						break
					}
				}
				s := strings.Join(parts, " ")
				if a.Primary == "true" && s != "" {
					return s
				}
				if first == "" {
					first = s
				}
			}
		}
	}
	return first
}
