# Only `aws ssm get-parameter` is simulated; parameters live in state/ssm/<name with / as %2F>.
if [[ -s $S/aws_error ]]; then sim_cat aws_error >&2; exit 253; fi
if [[ ${1:-} != ssm || ${2:-} != get-parameter ]]; then echo "aws: not simulated: $*" >&2; exit 252; fi
name='' decrypt=0 query='' output=''
shift 2
while (($#)); do
  case $1 in
    --name) name=$2; shift ;;
    --with-decryption) decrypt=1 ;;
    --query) query=$2; shift ;;
    --output) output=$2; shift ;;
    --region) shift ;;
  esac
  shift
done
f="$S/ssm/${name//\//%2F}"
if [[ ! -f $f ]]; then
  echo "An error occurred (ParameterNotFound) when calling the GetParameter operation: " >&2
  exit 254
fi
if [[ $query != Parameter.Value || $output != text ]]; then echo "aws: only --query Parameter.Value --output text is simulated" >&2; exit 252; fi
if ((!decrypt)); then echo "AQICAHgSimulatedCiphertextWithoutDecryption=="; exit 0; fi
cat "$f"
echo
